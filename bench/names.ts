// The name memory's cost: heap and RSS per entry for 100k, 500k and 1M names (each size in a fresh
// process, so one size's garbage does not count against the next), then the event-loop delay
// while the default maximum is compacted to disk. Run: npm run bench:names   (env SIZES=100000,500000)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import { NAME_KINDS, NameMemory } from '../src/enrich/name-memory.js';
import { NameStore } from '../src/enrich/name-store.js';
import type { Logger } from '../src/logger.js';

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
// 32 hex, like Keystone ids; a flat string, as JSON.parse makes it from an event.
const hex = (n: number): string => JSON.parse(JSON.stringify(n.toString(16).padStart(8, '0').repeat(4))) as string;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** Fills a memory the way a cloud would: mostly users and projects, a handful of domains. */
function fill(memory: NameMemory, n: number): void {
  for (let i = 0; i < n; i++) {
    const kind = i % 10 < 6 ? 'user' : i % 10 < 9 ? 'project' : NAME_KINDS[2 + (i % 3)]!;
    memory.learn(kind, hex(i), `${kind}-name-${i}`, kind === 'user' ? hex(i % 20) : undefined);
  }
}

async function measure(n: number): Promise<void> {
  const log: Logger = pino({ level: 'silent' });
  if (process.env.COMPACT === '1') return compaction(n, log);
  gc();
  const before = process.memoryUsage();
  const memory = new NameMemory(undefined, { maxEntries: n, flushIntervalMs: 60_000 }, log);
  fill(memory, n);
  gc();
  const after = process.memoryUsage();
  const heap = after.heapUsed - before.heapUsed;
  const rss = after.rss - before.rss;
  console.log(
    `${String(n).padStart(8)} entries  heap +${mb(heap).padStart(6)} MB (${Math.round(heap / n)} B/entry)  rss +${mb(rss).padStart(6)} MB (${Math.round(rss / n)} B/entry)  rss ${mb(after.rss)} MB`,
  );
}

/** The event loop's delay while a full memory is written out, as the exporter does when the log has grown. */
async function compaction(n: number, log: Logger): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cadf-bench-names-'));
  const stored = new NameMemory(new NameStore(dir), { maxEntries: n, flushIntervalMs: 60_000 }, log);
  stored.open();
  fill(stored, n);
  await stored.flush();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const started = Date.now();
  delay.enable();
  await stored.compact();
  delay.disable();
  const ms = (ns: number): string => (ns / 1e6).toFixed(1);
  console.log(
    `compaction of ${n}: ${Date.now() - started} ms; event-loop delay p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms; rss ${mb(process.memoryUsage().rss)} MB`,
  );
  await stored.close();
  rmSync(dir, { recursive: true, force: true });
}

const size = process.argv[2];
if (size !== undefined) {
  await measure(Number(size));
} else {
  const sizes = (process.env.SIZES ?? '100000,500000,1000000').split(',').map(Number);
  const self = fileURLToPath(import.meta.url);
  const max = loadConfig({ env: {}, args: [] }).enrich.maxNames;
  console.log(`node ${process.version}; default enrich.maxNames ${max}`);
  for (const n of sizes) {
    spawnSync(process.execPath, [...process.execArgv, '--expose-gc', self, String(n)], { stdio: 'inherit' });
  }
  // The compaction runs under the image's heap limit, as in production.
  spawnSync(process.execPath, [...process.execArgv, '--expose-gc', '--max-old-space-size=96', self, String(max)], {
    stdio: 'inherit',
    env: { ...process.env, COMPACT: '1' },
  });
}
