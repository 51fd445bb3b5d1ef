// Where the exporter's memory goes while it drains a backlog: samples its own /metrics
// (heap used/total, external, RSS) every second. Run: npx tsx bench/memory.ts  (env N, default 100000)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { CountingSink } from './sink.js';
import { Publisher, Traffic } from './traffic.js';

const URL_ = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const N = Number(process.env.N ?? 100_000);
const names = { exchanges: ['mem-keystone', 'mem-openstack'] as const, queue: 'mem-q' };
const conn = await amqp.connect(URL_);
const ch = await conn.createChannel();
for (const e of names.exchanges) await ch.assertExchange(e, 'topic', { durable: false, autoDelete: false });
await ch.assertQueue(names.queue, { durable: true });
await ch.purgeQueue(names.queue);
for (const e of names.exchanges) await ch.bindQueue(names.queue, e, 'notifications.*');
const pub = await Publisher.connect(URL_);
await pub.publish(N, new Traffic(), (k) => [names.exchanges[k ? 0 : 1], 'notifications.info']);
const sink = new CountingSink();
await sink.start();
const port = 39000 + Math.floor(Math.random() * 1000);
const child = spawn(process.execPath, [...(process.env.NODE_FLAGS ?? '').split(' ').filter(Boolean), join(import.meta.dirname, '..', 'dist', 'cli.js'), 'run'], {
  env: {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CADF_'))),
    PATH: process.env.PATH ?? '',
    CADF_AMQP_URL: URL_,
    CADF_AMQP_EXCHANGES: names.exchanges.join(','),
    CADF_AMQP_QUEUE: names.queue,
    CADF_AMQP_DEAD_LETTER_QUEUE: 'mem-dead',
    CADF_METRICS_HOST: '127.0.0.1',
    CADF_METRICS_PORT: String(port),
    CADF_DATA_DIR: mkdtempSync(join(tmpdir(), 'cadf-mem-')),
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: sink.url,
    CADF_LOG_LEVEL: 'warn',
  },
  stdio: 'inherit',
});
const mb = (text: string, name: string): string => {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return (sum / 1024 / 1024).toFixed(0).padStart(5);
};
console.log('  done   rss  heapUsed heapTotal external');
for (;;) {
  await sleep(1000);
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
  if (text !== '') {
    console.log(
      `${String(sink.uids.size).padStart(7)} ${mb(text, 'process_resident_memory_bytes')} ${mb(text, 'nodejs_heap_size_used_bytes')}    ${mb(text, 'nodejs_heap_size_total_bytes')}    ${mb(text, 'nodejs_external_memory_bytes')}`,
    );
  }
  if (sink.uids.size >= N) break;
}
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await sink.stop();
await pub.close();
await ch.deleteQueue(names.queue);
await ch.deleteQueue('mem-dead');
await conn.close();
