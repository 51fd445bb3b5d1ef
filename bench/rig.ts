import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { Publisher, Traffic } from './traffic.js';

export const AMQP_URL = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');

/**
 * The V8 flags `npm start` runs the exporter with, read from package.json's start script
 * (`node <flags> dist/cli.js run`), so the bench measures what a user runs and cannot drift from it.
 */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const m = /^node((?:\s+--\S+)*)\s+dist\/cli\.js run$/.exec(pkg.scripts.start.trim());
  if (m === null) throw new Error(`package.json start script is not "node [flags] dist/cli.js run": ${pkg.scripts.start}`);
  return m[1]!.trim().split(/\s+/).filter((f) => f !== '');
}

/** The image's NODE_OPTIONS (Dockerfile), as flags. */
export function imageFlags(): string[] {
  const m = /NODE_OPTIONS=(\S+(?:\s+--\S+)*)/.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  return m === null ? [] : m[1]!.replace(/^"|"$/g, '').split(/\s+/).filter((f) => f.startsWith('--'));
}

export interface Names {
  readonly exchanges: readonly [string, string];
  readonly queue: string;
}

export function benchNames(prefix: string): Names {
  const names: Names = { exchanges: [`${prefix}-keystone`, `${prefix}-openstack`], queue: `${prefix}-q` };
  declared.set(prefix, names);
  return names;
}

/** Every name set the bench declared and has not yet deleted: removed on exit, failure or signal. */
const declared = new Map<string, Names>();
/** Extra queues (the ceiling's) declared outside a Names set. */
export const extraQueues = new Set<string>();

/** Deletes every queue and exchange the bench declared that is still there. Never throws. */
export async function cleanupAll(): Promise<void> {
  const left = [...declared.values()];
  if (left.length === 0 && extraQueues.size === 0) return;
  try {
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createChannel();
    for (const q of extraQueues) await ch.deleteQueue(q);
    extraQueues.clear();
    for (const names of left) {
      await ch.deleteQueue(names.queue);
      await ch.deleteQueue(`${names.queue}.dead`);
      for (const e of names.exchanges) await ch.deleteExchange(e);
    }
    declared.clear();
    await conn.close();
  } catch (err) {
    process.stderr.write(`[bench] cleanup failed: ${String(err)}\n`);
  }
}

const children = new Set<ChildProcess>();

/**
 * Stopped or failed, the bench leaves nothing behind: SIGINT/SIGTERM stop its exporters and delete
 * its queues and exchanges before it exits (a stopped run once left a 644,000-message queue).
 */
export function cleanupOnSignals(): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`[bench] ${sig}: stopping exporters, deleting the bench's queues and exchanges\n`);
      void (async () => {
        await Promise.all([...children].map((c) => stopChild(c)));
        await cleanupAll();
        process.exit(130);
      })();
    });
  }
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
}

/** Declares what the exporter would (oslo's exchanges, its queue, the bindings), emptied. */
export async function prepare(names: Names): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  for (const e of names.exchanges) await ch.assertExchange(e, 'topic', { durable: false, autoDelete: false });
  await ch.assertQueue(names.queue, { durable: true });
  await ch.purgeQueue(names.queue);
  for (const e of names.exchanges) await ch.bindQueue(names.queue, e, 'notifications.*');
  await conn.close();
}

/** Queues n messages of the samples' mix on the test exchanges. */
export async function backlog(names: Names, n: number): Promise<void> {
  const pub = await Publisher.connect(AMQP_URL);
  await pub.publish(n, new Traffic(), (k) => [names.exchanges[k ? 0 : 1], 'notifications.info']);
  await pub.close();
}

export async function cleanup(names: Names): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  await ch.deleteQueue(names.queue);
  await ch.deleteQueue(`${names.queue}.dead`);
  for (const e of names.exchanges) await ch.deleteExchange(e);
  await conn.close();
  for (const [k, v] of declared) if (v === names) declared.delete(k);
}

/**
 * `node dist/cli.js run` on the bench's exchanges, exporting to sinkUrl. CADF_* and OTEL_* set for
 * the bench reach it (experiments). It runs with npm start's V8 flags unless given others;
 * BENCH_EXPORTER_NODE_OPTIONS adds NODE_OPTIONS.
 */
export function spawnExporter(names: Names, sinkUrl: string, env: Record<string, string> = {}, nodeArgs: string[] = startFlags()): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'run'], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CADF_') || k.startsWith('OTEL_'))),
      ...(process.env.BENCH_EXPORTER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_EXPORTER_NODE_OPTIONS } : {}),
      PATH: process.env.PATH ?? '',
      CADF_AMQP_URL: AMQP_URL,
      CADF_AMQP_EXCHANGES: names.exchanges.join(','),
      CADF_AMQP_QUEUE: names.queue,
      CADF_AMQP_DEAD_LETTER_QUEUE: `${names.queue}.dead`,
      CADF_METRICS_HOST: '127.0.0.1',
      // The kernel picks the port; metricsPort() reads it from the "started" line.
      CADF_METRICS_PORT: '0',
      CADF_DATA_DIR: mkdtempSync(join(tmpdir(), 'cadf-bench-')),
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: sinkUrl,
      // info: the "started" line names the metrics port; nothing is logged per message at info.
      CADF_LOG_LEVEL: 'info',
      ...env,
    },
    // BENCH_EXPORTER_STDOUT=FILE keeps what V8 flags such as --trace-gc print (experiments).
    stdio: ['ignore', process.env.BENCH_EXPORTER_STDOUT ? openSync(process.env.BENCH_EXPORTER_STDOUT, 'a') : 'ignore', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** The metrics port an exporter started with CADF_METRICS_PORT=0 listens on, from its "started" line. */
export function metricsPort(child: ChildProcess, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`exporter did not start:\n${text}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      text += d.toString();
      const m = /"metrics":"http:\/\/[^"]*:(\d+)\/metrics"/.exec(text);
      if (m) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`exporter exited before it started:\n${text}`));
    });
  });
}
