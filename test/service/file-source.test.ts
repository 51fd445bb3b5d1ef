import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';

const SAMPLES = join(import.meta.dirname, '..', '..', '..', 'shared', 'log-driver');

function line(i: number): string {
  const n = { message_id: `m-${i}`, publisher_id: 'identity.vm', event_type: 'identity.authenticate', priority: 'INFO', timestamp: '2026-12-02 05:09:35.314000', payload: { typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event', eventType: 'activity', id: `e-${i}`, eventTime: '2026-12-02T05:09:35.313000+0000', action: 'authenticate', outcome: 'success', initiator: { id: 'u', typeURI: 'service/security/account/user' }, target: { id: 't', typeURI: 'service/security/account/user' }, observer: { id: 'o', typeURI: 'service/security' } } };
  return `2026-12-02 05:09:35.314 3476 INFO oslo.messaging.notification.identity.authenticate [None req-${i} - - - - - -] ${JSON.stringify(n)}\n`;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ dir: string; receiver: OtlpReceiver; env: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'cadf-file-svc-'));
  const receiver = new OtlpReceiver();
  await receiver.listen();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => receiver.close());
  const env = {
    CADF_SOURCES: 'file',
    // A broker nobody listens on: with CADF_SOURCES=file it must never be tried.
    CADF_AMQP_URL: 'amqp://guest:guest@127.0.0.1:1/',
    CADF_FILE_PATHS: join(dir, 'keystone.log'),
    CADF_FILE_POLL_INTERVAL_MS: '50',
    CADF_DATA_DIR: join(dir, 'data'),
    CADF_LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: receiver.url,
  };
  return { dir, receiver, env };
}

function start(env: Record<string, string>): ExporterProcess {
  const e = ExporterProcess.spawn(env);
  cleanups.push(async () => void (await e.stop('SIGKILL')));
  return e;
}

const uids = (r: OtlpReceiver): string[] => r.accepted.map((x) => String(x.attributes['log.record.uid']));

/** Writes lines [from, to) a few at a time, as a service does. */
async function stream(file: string, from: number, to: number, during?: (i: number) => void): Promise<void> {
  for (let i = from; i < to; i += 10) {
    let chunk = '';
    for (let j = i; j < Math.min(to, i + 10); j++) chunk += line(j);
    appendFileSync(file, chunk);
    during?.(i);
    await sleep(5);
  }
}

function logrotate(dir: string, file: string, mode: 'create' | 'copytruncate'): void {
  const conf = join(dir, `logrotate-${mode}.conf`);
  writeFileSync(conf, `${file} {\n  rotate 5\n  ${mode}\n  missingok\n}\n`);
  execFileSync('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), conf]);
}

describe('file source (real exporter, real OTLP receiver, real files)', () => {
  it('CADF_SOURCES=file: no broker is tried, /readyz is up, the shared Keystone files export every notification', async () => {
    const { dir, receiver, env } = await setup();
    copyFileSync(join(SAMPLES, 'keystone-plain.log'), join(dir, 'keystone.log'));
    copyFileSync(join(SAMPLES, 'keystone-json.log'), join(dir, 'keystone-json.log'));
    const e = start({ ...env, CADF_FILE_PATHS: `${join(dir, 'keystone.log')},${join(dir, 'keystone-*.log')}` });
    await e.waitStarted();
    await e.waitReady();
    await waitFor(() => receiver.accepted.length >= 48, 20_000, () => `got ${receiver.accepted.length}:\n${e.stderr}`);
    // Two captures (plain and use_json), each its own 24 message ids: every one out once.
    expect(new Set(uids(receiver)).size).toBe(48);
    expect(await e.metric('cadf_exporter_file_watched', { source: 'file' })).toBe(2);
    expect(await e.metric('cadf_exporter_file_skipped_lines_total', { source: 'file' })).toBe(340 + 31);
    expect(await e.metric('cadf_exporter_file_lag_bytes', { source: 'file', path: join(dir, 'keystone.log') })).toBe(0);
    expect(e.stderr).not.toContain('connecting to RabbitMQ');
    expect(await e.stop()).toBe(0);
  });

  for (const mode of ['create', 'copytruncate'] as const) {
    it(`logrotate ${mode} during a stream: no line lost, none twice`, async () => {
      const { dir, receiver, env } = await setup();
      const file = join(dir, 'keystone.log');
      writeFileSync(file, '');
      const e = start(env);
      await e.waitReady();
      await stream(file, 0, 1500, (i) => {
        if (i === 500 || i === 1000) logrotate(dir, file, mode);
      });
      const expected =
        mode === 'create'
          ? Array.from({ length: 1500 }, (_, i) => `m-${i}`)
          : // copytruncate loses, in the file itself, what is written between its copy and its
            // truncate; what the current file holds must all be out.
            readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => /"message_id": ?"([^"]+)"/.exec(l)![1]!);
      await waitFor(() => expected.every((id) => uids(receiver).includes(id)), 30_000, () => `missing ${expected.filter((id) => !uids(receiver).includes(id)).length}:\n${e.stderr.slice(-3000)}`);
      await sleep(300);
      const got = uids(receiver);
      expect(got.length).toBe(new Set(got).size);
      if (mode === 'create') expect(got.length).toBe(1500);
      // Not read twice either (the exporter's duplicate check would hide it from the receiver).
      expect(await e.metric('cadf_exporter_messages_received_total', { result: 'duplicate' })).toBe(0);
      expect(await e.stop()).toBe(0);
    });
  }

  it('SIGKILL mid-file, then a restart: no line lost', async () => {
    const { dir, receiver, env } = await setup();
    const file = join(dir, 'keystone.log');
    let all = '';
    for (let i = 0; i < 5000; i++) all += line(i);
    writeFileSync(file, all);
    const a = start({ ...env, CADF_FILE_WINDOW: '200', CADF_EXPORT_BATCH_SIZE: '50' });
    await waitFor(() => receiver.accepted.length >= 500, 30_000, () => a.stderr);
    await a.stop('SIGKILL');
    expect(receiver.accepted.length).toBeLessThan(5000);
    const b = start(env);
    await waitFor(() => new Set(uids(receiver)).size === 5000, 30_000, () => `got ${new Set(uids(receiver)).size}:\n${b.stderr.slice(-2000)}`);
    expect(b.stderr).toContain('resuming at its checkpoint');
    expect(await b.stop()).toBe(0);
  });

  it('a file truncated, deleted and recreated: every line out once', async () => {
    const { dir, receiver, env } = await setup();
    const file = join(dir, 'keystone.log');
    writeFileSync(file, line(0) + line(1));
    const e = start(env);
    await waitFor(() => receiver.accepted.length === 2, 20_000, () => e.stderr);
    writeFileSync(file, '');
    await sleep(200);
    appendFileSync(file, line(2));
    await waitFor(() => receiver.accepted.length === 3, 20_000, () => e.stderr);
    rmSync(file);
    await sleep(200);
    writeFileSync(file, line(3) + line(4));
    await waitFor(() => receiver.accepted.length === 5, 20_000, () => e.stderr);
    expect(uids(receiver)).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4']);
    expect(await e.metric('cadf_exporter_messages_received_total', { result: 'duplicate' })).toBe(0);
    expect(await e.stop()).toBe(0);
  });
});
