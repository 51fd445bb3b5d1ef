// The benchmark leaves nothing on the broker when it is stopped: a run with a tiny message count
// is interrupted (SIGINT) while its own queue exists, and every queue and exchange it declared is
// then gone (checkQueue/checkExchange answer 404, which closes the channel).
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import amqp from 'amqplib';
import { beforeAll, describe, expect, it } from 'vitest';
import { AMQP_URL } from '../support/rabbit.js';
import { waitFor } from '../support/exporter.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Whether the broker knows a queue (kind 'queue') or an exchange: a 404 closes the channel. */
async function exists(kind: 'queue' | 'exchange', name: string): Promise<boolean> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined); // the 404 arrives as a channel close
    try {
      if (kind === 'queue') await ch.checkQueue(name);
      else await ch.checkExchange(name);
      return true;
    } catch (err) {
      if (String(err).includes('404')) return false;
      throw err;
    }
  } finally {
    await conn.close();
  }
}

describe('npm run bench, stopped', () => {
  beforeAll(() => {
    // The bench starts the built exporter (dist/cli.js), as `npm run bench` builds it first.
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
  }, 120_000);

  it('deletes its queues and exchanges on SIGINT', async () => {
    const prefix = `benchstop-${process.pid}-${Date.now()}`;
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'e2e.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BENCH_AMQP_URL: AMQP_URL, BENCH_PREFIX: prefix, BENCH_N: '2000', BENCH_REPEATS: '1', BENCH_BACKLOG: '0', BENCH_REPLICAS: '', BENCH_NAMES: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Its end-to-end queue exists once the ceiling run is over: stop it there, mid-run.
    await waitFor(async () => stderr.includes('ceiling run 1') && (await exists('queue', `${prefix}-q`)), 60_000, () => `bench did not reach its e2e run:\n${stderr}`);
    child.kill('SIGINT');
    const code = await exited;
    expect(stderr).toContain('SIGINT');
    expect(code).not.toBe(0);
    for (const q of [`${prefix}-q`, `${prefix}-q.dead`, `${prefix}-ceiling`]) expect(await exists('queue', q)).toBe(false);
    for (const e of [`${prefix}-keystone`, `${prefix}-openstack`]) expect(await exists('exchange', e)).toBe(false);
  }, 120_000);
});
