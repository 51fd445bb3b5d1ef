import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { Publisher, Traffic } from './traffic.js';

export const AMQP_URL = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');

export interface Names {
  readonly exchanges: readonly [string, string];
  readonly queue: string;
}

export function benchNames(prefix: string): Names {
  return { exchanges: [`${prefix}-keystone`, `${prefix}-openstack`], queue: `${prefix}-q` };
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
}

/**
 * `node dist/cli.js run` on the bench's exchanges, exporting to sinkUrl. CADF_* and OTEL_* set for
 * the bench reach it (experiments); BENCH_EXPORTER_NODE_OPTIONS gives it V8 flags.
 */
export function spawnExporter(names: Names, sinkUrl: string, env: Record<string, string> = {}, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, CLI, 'run'], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CADF_') || k.startsWith('OTEL_'))),
      ...(process.env.BENCH_EXPORTER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_EXPORTER_NODE_OPTIONS } : {}),
      PATH: process.env.PATH ?? '',
      CADF_AMQP_URL: AMQP_URL,
      CADF_AMQP_EXCHANGES: names.exchanges.join(','),
      CADF_AMQP_QUEUE: names.queue,
      CADF_AMQP_DEAD_LETTER_QUEUE: `${names.queue}.dead`,
      CADF_METRICS_HOST: '127.0.0.1',
      CADF_DATA_DIR: mkdtempSync(join(tmpdir(), 'cadf-bench-')),
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: sinkUrl,
      CADF_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
