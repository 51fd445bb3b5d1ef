// Where the exporter's memory goes while it drains a backlog: samples its own /metrics (heap
// used and total, external, RSS) every second, and ends with the drain's rate and CPU a message.
// Run: npx tsx bench/memory.ts   (env N, default 100000; BENCH_NODE_ARGS: the exporter's V8 flags,
// npm start's when unset, none when "")
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { backlog, benchNames, cleanup, cleanupAll, cleanupOnSignals, metricsPort, prepare, spawnExporter, startFlags } from './rig.js';
import { CountingSink } from './sink.js';

const N = Number(process.env.N ?? 100_000);
cleanupOnSignals();
const names = benchNames(`mem-${process.pid}`);
await prepare(names);
await backlog(names, N);
const sink = new CountingSink();
await sink.start();
// BENCH_NODE_ARGS: the exporter's V8 flags ("" for none); unset: npm start's.
const nodeArgs = process.env.BENCH_NODE_ARGS !== undefined ? process.env.BENCH_NODE_ARGS.split(' ').filter((a) => a !== '') : startFlags();
const child = spawnExporter(names, sink.url, {}, nodeArgs);
const port = await metricsPort(child);
/** [user, system] CPU seconds of the exporter. */
const cpuSeconds = (): [number, number] => {
  const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return [Number(f[11]) / 100, Number(f[12]) / 100];
};
const cpu0 = cpuSeconds();
let peakRss = 0;
const mb = (text: string, name: string): string => {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return (sum / 1024 / 1024).toFixed(0).padStart(5);
};
console.log('   done   rss  heapUsed heapTotal external (MB)');
while (sink.uids.size < N) {
  await sleep(1000);
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
  if (text === '') continue;
  const rss = Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1] ?? 0) / 1024 / 1024;
  peakRss = Math.max(peakRss, rss);
  console.log(
    `${String(sink.uids.size).padStart(7)} ${mb(text, 'process_resident_memory_bytes')} ${mb(text, 'nodejs_heap_size_used_bytes')}    ${mb(text, 'nodejs_heap_size_total_bytes')}    ${mb(text, 'nodejs_external_memory_bytes')}`,
  );
}
const cpu1 = cpuSeconds();
const user = cpu1[0] - cpu0[0];
const system = cpu1[1] - cpu0[1];
const rate = N / ((sink.lastAt - sink.firstAt) / 1000);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await sink.stop();
await cleanup(names);
await cleanupAll();
console.log(
  `peak RSS ${peakRss.toFixed(0)} MB, ${Math.round(rate)} msg/s, ${(((user + system) * 1e6) / N).toFixed(1)} us of CPU a message (${((system * 1e6) / N).toFixed(1)} of it in the kernel) (node args: ${nodeArgs.join(' ') || 'none'})`,
);
