// Where the exporter's memory goes while it drains a backlog: samples its own /metrics (heap
// used and total, external, RSS) every second. Run: npx tsx bench/memory.ts   (env N, default 100000)
import { setTimeout as sleep } from 'node:timers/promises';
import { backlog, benchNames, cleanup, prepare, spawnExporter } from './rig.js';
import { CountingSink } from './sink.js';

const N = Number(process.env.N ?? 100_000);
const names = benchNames('mem');
await prepare(names);
await backlog(names, N);
const sink = new CountingSink();
await sink.start();
const port = 39000 + Math.floor(Math.random() * 1000);
const child = spawnExporter(names, sink.url, { CADF_METRICS_PORT: String(port) });
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
  console.log(
    `${String(sink.uids.size).padStart(7)} ${mb(text, 'process_resident_memory_bytes')} ${mb(text, 'nodejs_heap_size_used_bytes')}    ${mb(text, 'nodejs_heap_size_total_bytes')}    ${mb(text, 'nodejs_external_memory_bytes')}`,
  );
}
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await sink.stop();
await cleanup(names);
