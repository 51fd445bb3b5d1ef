// Profiles `cadf-exporter run` draining N queued messages (protobuf export to a local sink):
// writes a V8 .cpuprofile under bench/results/profile/ and prints where the CPU went, by
// function and by package. Run: npm run bench:profile   (env N, default 60000)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { CountingSink } from './sink.js';
import { Publisher, Traffic } from './traffic.js';

const PROF_DIR = join(import.meta.dirname, 'results', 'profile');
const URL_ = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const N = Number(process.env.N ?? 60_000);
const names = { exchanges: ['prof-keystone', 'prof-openstack'] as const, queue: 'prof-q' };

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
rmSync(PROF_DIR, { recursive: true, force: true });
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`, join(import.meta.dirname, '..', 'dist', 'cli.js'), 'run'], {
  env: {
    PATH: process.env.PATH ?? '',
    CADF_AMQP_URL: URL_,
    CADF_AMQP_EXCHANGES: names.exchanges.join(','),
    CADF_AMQP_QUEUE: names.queue,
    CADF_AMQP_DEAD_LETTER_QUEUE: 'prof-dead',
    CADF_METRICS_PORT: '0',
    CADF_DATA_DIR: mkdtempSync(join(tmpdir(), 'cadf-prof-')),
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: sink.url,
    CADF_LOG_LEVEL: 'warn',
  },
  stdio: 'inherit',
});
while (sink.uids.size < N) await sleep(50);
console.log(`drained ${N} messages at ${Math.round(N / ((sink.lastAt - sink.firstAt) / 1000))} msg/s (profiling slows it down)`);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await sink.stop();
await pub.close();
await ch.deleteQueue(names.queue);
await ch.deleteQueue('prof-dead');
await conn.close();

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
const file = readdirSync(PROF_DIR).map((f) => join(PROF_DIR, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  const cf = byId.get(p.samples[i]!)!.callFrame;
  const d = p.timeDeltas[i] ?? 0;
  total += d;
  const where = cf.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/');
  self.set(`${cf.functionName || '(anonymous)'} ${where}:${cf.lineNumber + 1}`, (self.get(`${cf.functionName || '(anonymous)'} ${where}:${cf.lineNumber + 1}`) ?? 0) + d);
  const pkg = where === '' ? `(${cf.functionName || 'native'})` : where.startsWith('dist/') || where.startsWith('node:') ? where : where.split('/').slice(0, where.startsWith('@') ? 2 : 1).join('/');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + d);
}
const top = (m: Map<string, number>, n: number): string =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log(`\nprofile: ${file} (${(total / 1e6).toFixed(2)} s sampled)\n\nby function (self time):\n${top(self, 25)}\n\nby file or package:\n${top(byPackage, 20)}`);
