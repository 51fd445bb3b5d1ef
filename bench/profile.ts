// Profiles `cadf-exporter run` draining N queued messages (protobuf export to a local sink):
// writes a V8 .cpuprofile under bench/results/profile/ and prints where the CPU went, by
// function and by package. Run: npm run bench:profile   (env N, default 60000)
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { backlog, benchNames, cleanup, prepare, spawnExporter } from './rig.js';
import { CountingSink } from './sink.js';

const PROF_DIR = join(import.meta.dirname, 'results', 'profile');
const N = Number(process.env.N ?? 60_000);
const names = benchNames('prof');

await prepare(names);
await backlog(names, N);
const sink = new CountingSink();
await sink.start();
rmSync(PROF_DIR, { recursive: true, force: true });
const child = spawnExporter(names, sink.url, {}, ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`]);
while (sink.uids.size < N) await sleep(50);
console.log(`drained ${N} messages at ${Math.round(N / ((sink.lastAt - sink.firstAt) / 1000))} msg/s (profiling slows it down)`);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await sink.stop();
await cleanup(names);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
const file = readdirSync(PROF_DIR).map((f) => join(PROF_DIR, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
const add = (m: Map<string, number>, k: string, d: number): void => void m.set(k, (m.get(k) ?? 0) + d);
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  const cf = byId.get(p.samples[i]!)!.callFrame;
  const d = p.timeDeltas[i] ?? 0;
  total += d;
  const where = cf.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/');
  add(byFunction, `${cf.functionName || '(anonymous)'} ${where}:${cf.lineNumber + 1}`, d);
  const pkg = where === '' ? `(${cf.functionName || 'native'})` : where.startsWith('dist/') || where.startsWith('node:') ? where : where.split('/').slice(0, where.startsWith('@') ? 2 : 1).join('/');
  add(byPackage, pkg, d);
}
const top = (m: Map<string, number>, n: number): string =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log(`\nprofile: ${file} (${(total / 1e6).toFixed(2)} s sampled)\n\nby function (self time):\n${top(byFunction, 25)}\n\nby file or package:\n${top(byPackage, 20)}`);
