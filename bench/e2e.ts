// End-to-end benchmark (issue: "Benchmark: end-to-end throughput against the broker's own ceiling").
// Run: npm run bench   (env: BENCH_N=100000 BENCH_BACKLOG=1000000 BENCH_REPEATS=3 BENCH_REPLICAS=2,3
// BENCH_NAMES=500000 BENCH_AMQP_URL BENCH_PREFIX; BENCH_QUICK=1 for a developer's loop: 20,000 messages, one run each,
// a 100,000 backlog). Defaults finish in under 8 minutes, quick in under 2, on the 2-core machine.
// Needs only RabbitMQ on 127.0.0.1:5672. Prints one table, writes bench/results/latest.json, and
// deletes its queues and exchanges when it ends, fails or is stopped (SIGINT/SIGTERM).
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { AMQP_URL as URL_, benchNames, cleanup, cleanupAll, cleanupOnSignals, extraQueues, imageFlags, metricsPort, prepare, spawnExporter, startFlags, type Names } from './rig.js';
import { CountingSink } from './sink.js';
import { nowCadf, Publisher, Traffic } from './traffic.js';

const QUICK = process.env.BENCH_QUICK === '1';
const N = Number(process.env.BENCH_N ?? (QUICK ? 20_000 : 100_000));
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? (QUICK ? 100_000 : 1_000_000));
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? (QUICK ? 1 : 3)));
const LAG_SECONDS = QUICK ? 4 : 8;
/** Messages of the side rows (replicas, file source, names): half of N, enough for a rate. */
const SIDE_N = Math.max(1000, Math.round(N / 2));
/** Exporter processes on one queue for the replicas rows ("" for none). */
const REPLICAS = (process.env.BENCH_REPLICAS ?? '2,3').split(',').filter((x) => x !== '').map(Number);
/** Names loaded into the name memory for row (7) ("0": skip the row). */
const NAMES = Number(process.env.BENCH_NAMES ?? (QUICK ? 100_000 : 500_000));
/** Row (7) needs a heap for its names: about 14 MB per 100,000 (docs/performance.md) on top of the default 96. */
const NAMES_FLAGS = [`--max-old-space-size=${96 + Math.ceil((NAMES / 100_000) * 14)}`];
const START_FLAGS = startFlags();
const IMAGE_FLAGS = imageFlags();
const PREFIX = process.env.BENCH_PREFIX ?? `bench-${process.pid}`;
const ROOT = join(import.meta.dirname, '..');
const CLK_TCK = 100; // Linux USER_HZ
const traffic = new Traffic();
const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** (1) The ceiling: the fastest no-op consumer (prefetch 1000, one multiple-ack per 100 messages). */
async function ceiling(pub: Publisher): Promise<number> {
  const conn = await amqp.connect(URL_);
  const ch = await conn.createChannel();
  const q = `${PREFIX}-ceiling`;
  extraQueues.add(q);
  await ch.assertQueue(q, { durable: true });
  await ch.purgeQueue(q);
  await pub.publish(N, traffic, () => ['', q]);
  await ch.prefetch(1000);
  let n = 0;
  let first = 0;
  const done = new Promise<number>((resolve) => {
    void ch.consume(q, (msg) => {
      if (msg === null) return;
      if (n === 0) first = performance.now();
      n += 1;
      if (n % 100 === 0 || n === N) ch.ack(msg, true);
      if (n === N) resolve(performance.now());
    });
  });
  const last = await done;
  await ch.deleteQueue(q);
  extraQueues.delete(q);
  await conn.close();
  return N / ((last - first) / 1000);
}

/**
 * (0) What this machine's CPU is worth: V8's own JSON.parse of the same messages (the envelope,
 * then the notification inside it), which no code of ours can beat. The exporter's CPU per message
 * divided by it compares runs on different machines better than microseconds do.
 */
function parseCost(): number {
  const bodies = Array.from({ length: 2000 }, (_, i) => traffic.message(i).body.toString('utf8'));
  let sink = 0;
  const runs: number[] = [];
  for (let r = 0; r < 12; r++) {
    const t = performance.now();
    for (const b of bodies) {
      const outer = JSON.parse(b) as Record<string, unknown>;
      const inner = outer['oslo.message'];
      sink += typeof inner === 'string' ? Object.keys(JSON.parse(inner) as object).length : 1;
    }
    runs.push(((performance.now() - t) * 1000) / bodies.length);
  }
  if (sink < 0) log(String(sink));
  return Math.min(...runs.slice(2));
}

/** A name memory of `n` names in the store's file format, the traffic's own ids among them. */
function namesDir(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'cadf-bench-names-'));
  const kinds = ['user', 'project', 'domain', 'group', 'role'];
  const t = Math.floor(Date.now() / 1000);
  const lines: string[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < 200; i++) for (const m of traffic.message(i).body.toString('utf8').matchAll(/[0-9a-f]{32}/g)) ids.add(m[0]);
  for (const id of ids) for (const k of kinds) lines.push(JSON.stringify({ k, i: id, n: `name-${id.slice(0, 6)}`, t }));
  for (let i = lines.length; i < n; i++) {
    const id = i.toString(16).padStart(32, '0');
    lines.push(JSON.stringify(i % 10 < 6 ? { k: 'user', i: id, n: `user-${i}`, d: `${(i % 20).toString(16).padStart(32, 'd')}`, t } : { k: i % 10 < 9 ? 'project' : 'role', i: id, n: `name-${i}`, t }));
  }
  writeFileSync(join(dir, 'names.jsonl'), `${lines.join('\n')}\n`);
  return dir;
}

interface Exporter {
  readonly child: ChildProcess;
  metricsPort: number;
  stderr: string;
}

function startExporter(names: Names, sinkUrl: string, protocol: string, env: Record<string, string> = {}, flags = START_FLAGS): Exporter {
  const child = spawnExporter(names, sinkUrl, { OTEL_EXPORTER_OTLP_PROTOCOL: protocol, ...env }, flags);
  const e: Exporter = { child, metricsPort: 0, stderr: '' };
  child.stderr?.on('data', (d: Buffer) => (e.stderr += d.toString()));
  return e;
}

async function waitReady(e: Exporter): Promise<void> {
  e.metricsPort = await metricsPort(e.child);
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`http://127.0.0.1:${e.metricsPort}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`exporter not ready: ${e.stderr}`);
}

async function stopExporter(e: Exporter): Promise<void> {
  e.child.kill('SIGTERM');
  await new Promise((r) => e.child.once('exit', r));
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function rssMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function queueDepth(queue: string): Promise<number> {
  const conn = await amqp.connect(URL_);
  const ch = await conn.createChannel();
  const n = (await ch.checkQueue(queue)).messageCount;
  await conn.close();
  return n;
}

interface E2E {
  rate: number;
  cpuUsPerMsg: number;
  peakRssMb: number;
  received: number;
  unique: number;
  queueLeft: number;
}

/** (2) N queued messages through `cadf-exporter run`: first export to last, CPU, peak RSS. */
async function endToEnd(
  pub: Publisher,
  sink: CountingSink,
  protocol: string,
  count: number,
  sampleRss: boolean,
  replicas = 1,
  env: Record<string, string> = {},
  flags = START_FLAGS,
): Promise<E2E> {
  const names = benchNames(PREFIX);
  await prepare(names);
  sink.reset();
  await pub.publish(count, traffic, (k) => [names.exchanges[k ? 0 : 1], 'notifications.info']);
  // Competing consumers on one queue: every replica is started and ready before the clock starts
  // (the sink's first arrival), so the first one does not drain the backlog alone.
  const es = Array.from({ length: replicas }, () => startExporter(names, sink.url, protocol, env, flags));
  await Promise.all(es.map((e) => waitReady(e)));
  const pids = es.map((e) => e.child.pid!);
  const cpu0 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
  let peak = 0;
  while (sink.uids.size < count) {
    if (sampleRss) peak = Math.max(peak, rssMb(pids[0]!, 'VmRSS'));
    await sleep(sampleRss ? 50 : 20);
    const dead = es.find((e) => e.child.exitCode !== null);
    if (dead) throw new Error(`exporter exited: ${dead.stderr}`);
  }
  const seconds = (sink.lastAt - sink.firstAt) / 1000;
  await sleep(300); // the last acks
  const cpu = pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
  const result = {
    rate: count / seconds,
    cpuUsPerMsg: (cpu * 1e6) / count,
    peakRssMb: Math.max(peak, rssMb(pids[0]!, 'VmHWM')),
    received: sink.records,
    unique: sink.uids.size,
    queueLeft: await queueDepth(names.queue),
  };
  await Promise.all(es.map((e) => stopExporter(e)));
  await cleanup(names);
  return result;
}

/**
 * (6) The file source: `count` notifications as oslo's log driver writes them (plain oslo.log
 * lines, as in ../shared/log-driver) in one file, read by `cadf-exporter run` with
 * CADF_SOURCES=file and no broker: lines/s and CPU per line beside the queue's.
 */
async function fileSource(sink: CountingSink, count: number): Promise<E2E> {
  const dir = mkdtempSync(join(tmpdir(), 'cadf-bench-file-'));
  const path = join(dir, 'keystone.log');
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const outer = JSON.parse(traffic.message(i).body.toString('utf8')) as Record<string, unknown>;
    // The log driver writes the notification itself, not the v2 envelope.
    const n = (typeof outer['oslo.message'] === 'string' ? JSON.parse(outer['oslo.message']) : outer) as { event_type: string };
    lines.push(`2026-12-02 10:00:00.000 4242 INFO oslo.messaging.notification.${n.event_type} [None req-${i} - - - - - -] ${JSON.stringify(n)}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  sink.reset();
  const names = benchNames(`${PREFIX}-file`);
  const child = spawnExporter(names, sink.url, { CADF_SOURCES: 'file', CADF_FILE_PATHS: path, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
  const e: Exporter = { child, metricsPort: 0, stderr: '' };
  child.stderr?.on('data', (d: Buffer) => (e.stderr += d.toString()));
  const cpu0 = cpuSeconds(child.pid!);
  while (sink.uids.size < count) {
    await sleep(20);
    if (child.exitCode !== null) throw new Error(`exporter exited: ${e.stderr}`);
  }
  const seconds = (sink.lastAt - sink.firstAt) / 1000;
  await sleep(300);
  const cpu = cpuSeconds(child.pid!) - cpu0;
  const result = { rate: count / seconds, cpuUsPerMsg: (cpu * 1e6) / count, peakRssMb: rssMb(child.pid!, 'VmHWM'), received: sink.records, unique: sink.uids.size, queueLeft: 0 };
  await stopExporter(e);
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** Event lag at a given rate: eventTime = publish time, measured at the sink. */
async function lag(pub: Publisher, sink: CountingSink, protocol: string, rate: number, seconds: number): Promise<number[]> {
  const names = benchNames(PREFIX);
  await prepare(names);
  sink.reset();
  const e = startExporter(names, sink.url, protocol);
  await waitReady(e);
  const total = Math.round(rate * seconds);
  const perTick = Math.max(1, Math.round(rate / 100));
  const start = performance.now();
  for (let sent = 0; sent < total; sent += perTick) {
    await pub.publish(Math.min(perTick, total - sent), traffic, (k) => [names.exchanges[k ? 0 : 1], 'notifications.info'], nowCadf);
    const due = start + ((sent + perTick) / rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  }
  while (sink.uids.size < total) await sleep(20);
  const lags = sink.lags.slice();
  await stopExporter(e);
  await cleanup(names);
  return lags;
}

async function main(): Promise<void> {
  log(`N=${N} backlog=${BACKLOG} repeats=${REPEATS}; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}); Node ${process.version}; ${Math.round(traffic.averageBytes)} bytes/message on average`);
  let parseUs = parseCost();
  log(`this machine: JSON.parse of a message (envelope and notification) takes ${parseUs.toFixed(2)} us; exporters run with npm start's flags: ${START_FLAGS.join(' ') || 'none'}`);
  const pub = await Publisher.connect(URL_);
  const sink = new CountingSink();
  await sink.start();

  const ceilings: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    ceilings.push(await ceiling(pub));
    log(`ceiling run ${i + 1}: ${Math.round(ceilings.at(-1)!)} msg/s`);
  }
  const rows: Record<string, E2E[]> = { 'http/protobuf': [], 'http/json': [] };
  for (const protocol of Object.keys(rows)) {
    // http/json is the alternative, not the target: one run keeps the whole bench under 8 minutes.
    for (let i = 0; i < (protocol === 'http/json' ? 1 : REPEATS); i++) {
      const r = await endToEnd(pub, sink, protocol, N, false);
      rows[protocol]!.push(r);
      log(`e2e ${protocol} run ${i + 1}: ${Math.round(r.rate)} msg/s, ${r.cpuUsPerMsg.toFixed(1)} us/msg, peak RSS ${r.peakRssMb.toFixed(0)} MB, ${r.unique}/${N} received, ${r.queueLeft} left`);
    }
  }
  const proto = rows['http/protobuf']!;
  const e2eRate = median(proto.map((r) => r.rate));
  const lagRate = Math.round(e2eRate / 2);
  const lagRuns: number[][] = [];
  for (let i = 0; i < REPEATS; i++) {
    lagRuns.push(await lag(pub, sink, 'http/protobuf', lagRate, LAG_SECONDS));
    log(`lag run ${i + 1} at ${lagRate} msg/s: p50 ${pct(lagRuns.at(-1)!, 50).toFixed(3)} s, p99 ${pct(lagRuns.at(-1)!, 99).toFixed(3)} s`);
  }
  const backlog: E2E[] = [];
  // One backlog run: it only measures memory, which the prefetch bounds (not the backlog's size).
  for (let i = 0; i < 1 && BACKLOG > 0; i++) {
    backlog.push(await endToEnd(pub, sink, 'http/protobuf', BACKLOG, true));
    log(`backlog run ${i + 1}: ${BACKLOG} queued first, peak RSS ${backlog.at(-1)!.peakRssMb.toFixed(0)} MB, ${Math.round(backlog.at(-1)!.rate)} msg/s`);
  }
  // The image's own setting beside npm start's: one run when they are the same flags.
  const sameFlags = IMAGE_FLAGS.join(' ') === START_FLAGS.join(' ');
  let imageBacklog: E2E | undefined;
  if (!sameFlags && BACKLOG > 0) {
    imageBacklog = await endToEnd(pub, sink, 'http/protobuf', BACKLOG, true, 1, {}, IMAGE_FLAGS);
    log(`backlog run with the image's flags (${IMAGE_FLAGS.join(' ')}): peak RSS ${imageBacklog.peakRssMb.toFixed(0)} MB`);
  }
  // (7) The work per message with a full name memory against an empty one, same heap flags.
  let names: { empty: E2E; full: E2E; loadedNames: number } | undefined;
  if (NAMES > 0) {
    const base = { CADF_MAX_NAMES: String(NAMES) };
    const emptyDir = mkdtempSync(join(tmpdir(), 'cadf-bench-names-'));
    const fullDir = namesDir(NAMES);
    const empty = await endToEnd(pub, sink, 'http/protobuf', SIDE_N, false, 1, { ...base, CADF_DATA_DIR: emptyDir }, NAMES_FLAGS);
    const full = await endToEnd(pub, sink, 'http/protobuf', SIDE_N, false, 1, { ...base, CADF_DATA_DIR: fullDir }, NAMES_FLAGS);
    rmSync(emptyDir, { recursive: true, force: true });
    rmSync(fullDir, { recursive: true, force: true });
    names = { empty, full, loadedNames: NAMES };
    log(`names: ${empty.cpuUsPerMsg.toFixed(1)} us/msg with none loaded, ${full.cpuUsPerMsg.toFixed(1)} us/msg with ${NAMES} (flags ${NAMES_FLAGS.join(' ')}), peak RSS ${empty.peakRssMb.toFixed(0)} / ${full.peakRssMb.toFixed(0)} MB`);
  }
  const replicaRows: Array<{ replicas: number; rate: number; cpuUsPerMsg: number; unique: number; queueLeft: number }> = [];
  for (const k of REPLICAS) {
    const r = await endToEnd(pub, sink, 'http/protobuf', SIDE_N, false, k);
    replicaRows.push({ replicas: k, rate: r.rate, cpuUsPerMsg: r.cpuUsPerMsg, unique: r.unique, queueLeft: r.queueLeft });
    log(`e2e ${k} replicas on one queue: ${Math.round(r.rate)} msg/s, ${r.cpuUsPerMsg.toFixed(1)} us/msg (all replicas), ${r.unique}/${SIDE_N} received`);
  }
  const file = await fileSource(sink, SIDE_N);
  log(`file source: ${Math.round(file.rate)} lines/s, ${file.cpuUsPerMsg.toFixed(1)} us/line, peak RSS ${file.peakRssMb.toFixed(0)} MB, ${file.unique}/${SIDE_N} received`);
  await pub.close();
  await sink.stop();

  // The yardstick again at the end: the machine's speed moves between minutes (a shared VM).
  const parseUsEnd = parseCost();
  log(`this machine at the end: JSON.parse of a message takes ${parseUsEnd.toFixed(2)} us`);
  parseUs = Math.min(parseUs, parseUsEnd);
  const ceilingRate = median(ceilings);
  const lost = N - median(proto.map((r) => r.unique));
  const results = {
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    n: N,
    repeats: REPEATS,
    bytes_per_message: Math.round(traffic.averageBytes),
    ceiling_msgs_per_s: Math.round(ceilingRate),
    e2e_msgs_per_s: Math.round(e2eRate),
    e2e_json_msgs_per_s: Math.round(median(rows['http/json']!.map((r) => r.rate))),
    ratio: Number((e2eRate / ceilingRate).toFixed(3)),
    node_cpu_us_per_msg: Number(median(proto.map((r) => r.cpuUsPerMsg)).toFixed(1)),
    node_cpu_us_per_msg_json: Number(median(rows['http/json']!.map((r) => r.cpuUsPerMsg)).toFixed(1)),
    peak_rss_mb: Math.round(median(proto.map((r) => r.peakRssMb))),
    backlog_n: BACKLOG,
    backlog_peak_rss_mb: backlog.length > 0 ? Math.round(median(backlog.map((r) => r.peakRssMb))) : null,
    backlog_cpu_us_per_msg: backlog.length > 0 ? Number(median(backlog.map((r) => r.cpuUsPerMsg)).toFixed(1)) : null,
    start_flags: START_FLAGS,
    image_flags: IMAGE_FLAGS,
    image_backlog_peak_rss_mb: sameFlags ? (backlog.length > 0 ? Math.round(median(backlog.map((r) => r.peakRssMb))) : null) : imageBacklog ? Math.round(imageBacklog.peakRssMb) : null,
    parse_us_per_msg: Number(parseUs.toFixed(2)),
    names:
      names === undefined
        ? null
        : {
            loaded: names.loadedNames,
            flags: NAMES_FLAGS,
            cpu_us_per_msg_empty: Number(names.empty.cpuUsPerMsg.toFixed(1)),
            cpu_us_per_msg_full: Number(names.full.cpuUsPerMsg.toFixed(1)),
            peak_rss_mb_empty: Math.round(names.empty.peakRssMb),
            peak_rss_mb_full: Math.round(names.full.peakRssMb),
            received: names.full.unique,
          },
    lag_rate_msgs_per_s: lagRate,
    lag_p50_s: Number(median(lagRuns.map((l) => pct(l, 50))).toFixed(3)),
    lag_p99_s: Number(median(lagRuns.map((l) => pct(l, 99))).toFixed(3)),
    sent: N,
    received_by_sink: median(proto.map((r) => r.received)),
    lost,
    queue_left: Math.max(...proto.map((r) => r.queueLeft)),
    replicas: replicaRows.map((r) => ({
      replicas: r.replicas,
      msgs_per_s: Math.round(r.rate),
      ratio: Number((r.rate / ceilingRate).toFixed(3)),
      cpu_us_per_msg: Number(r.cpuUsPerMsg.toFixed(1)),
      received: r.unique,
      queue_left: r.queueLeft,
    })),
    file_source: {
      lines_per_s: Math.round(file.rate),
      cpu_us_per_line: Number(file.cpuUsPerMsg.toFixed(1)),
      peak_rss_mb: Math.round(file.peakRssMb),
      received: file.unique,
    },
    quick: QUICK,
    load_average: loadavg().map((x) => Number(x.toFixed(2))),
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);

  const t = (label: string, value: string, target = ''): string => `  ${label.padEnd(34)} ${value.padStart(12)}   ${target}`;
  console.log(`\ncadf-exporter end-to-end benchmark (medians of ${REPEATS}; ${N} messages, ${results.bytes_per_message} B each; json, replicas, file and names rows: one run, ${SIDE_N} messages)`);
  console.log(t('(1) ceiling, no-op consumer', `${results.ceiling_msgs_per_s} msg/s`));
  console.log(t('(2) cadf-exporter run, protobuf', `${results.e2e_msgs_per_s} msg/s`));
  console.log(t('    cadf-exporter run, json', `${results.e2e_json_msgs_per_s} msg/s`));
  console.log(t('(3) ratio (2)/(1)', results.ratio.toFixed(3), 'target >= 0.50 (stretch 0.75)'));
  console.log(t('(0) JSON.parse of a message here', `${results.parse_us_per_msg} us`, "this machine's speed: V8 parsing both layers (the faster of start and end)"));
  console.log(t('Node CPU per message (protobuf)', `${results.node_cpu_us_per_msg} us`, `target <= 30 us; ${(results.node_cpu_us_per_msg / results.parse_us_per_msg).toFixed(1)} parses' worth`));
  console.log(t('Node CPU per message (json)', `${results.node_cpu_us_per_msg_json} us`));
  console.log(t('peak RSS', `${results.peak_rss_mb} MB`));
  console.log(t(`(4) peak RSS, ${BACKLOG} backlog`, `${results.backlog_peak_rss_mb ?? '-'} MB`, `target <= 150 MB; as npm start runs it (${START_FLAGS.join(' ') || 'no flags'}), ${results.backlog_cpu_us_per_msg ?? '-'} us/msg`));
  console.log(t("    the image's setting", `${results.image_backlog_peak_rss_mb ?? '-'} MB`, sameFlags ? `the same flags (Dockerfile NODE_OPTIONS=${IMAGE_FLAGS.join(' ')})` : `Dockerfile NODE_OPTIONS=${IMAGE_FLAGS.join(' ')}`));
  console.log(t(`event lag p50 / p99 at ${lagRate}/s`, `${results.lag_p50_s} / ${results.lag_p99_s} s`, 'target p99 <= 2 s'));
  for (const r of results.replicas) {
    console.log(t(`(5) ${r.replicas} exporters on one queue`, `${r.msgs_per_s} msg/s`, `ratio ${r.ratio}, ${r.cpu_us_per_msg} us/msg, ${r.received}/${SIDE_N} received`));
  }
  console.log(t('(6) file source (no broker)', `${results.file_source.lines_per_s} lines/s`, `${results.file_source.cpu_us_per_line} us/line, peak RSS ${results.file_source.peak_rss_mb} MB, ${results.file_source.received}/${SIDE_N} received`));
  if (results.names !== null) {
    const r = results.names;
    console.log(t(`(7) ${r.loaded} names loaded`, `${r.cpu_us_per_msg_full} us`, `vs ${r.cpu_us_per_msg_empty} us with none (ratio ${(r.cpu_us_per_msg_full / r.cpu_us_per_msg_empty).toFixed(2)}; ${r.flags.join(' ')}), peak RSS ${r.peak_rss_mb_empty} / ${r.peak_rss_mb_full} MB`));
  }
  console.log(t('load average at the end (1/5/15 min)', results.load_average.join(' '), 'other work on the machine'));
  console.log(t('sent / received by sink / lost', `${N} / ${results.received_by_sink} / ${lost}`, `queue left: ${results.queue_left}`));
  console.log(`\nwritten: bench/results/latest.json`);
  const ok =
    lost === 0 &&
    results.received_by_sink === N &&
    results.queue_left === 0 &&
    results.replicas.every((r) => r.received === SIDE_N && r.queue_left === 0) &&
    results.file_source.received === SIDE_N &&
    (results.names === null || results.names.received === SIDE_N);
  if (!ok) console.log('FAILED: messages lost or duplicated');
  process.exitCode = ok ? 0 : 1;
}

cleanupOnSignals();
try {
  await main();
} finally {
  await cleanupAll();
}
