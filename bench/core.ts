// Core micro-benchmark: decode + classify + map (record and metrics) + protobuf encoding of the
// record, per event, on one core: what the exporter does for each message between the broker and
// the HTTP request. Goal (issue 15): >= 200,000 events/s on the shared samples' mix.
// Run: npm run bench:core
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, metricsOf, toRecord } from '../src/cadf/index.js';
import { LogsProtobufEncoder } from '../src/sinks/otlp/protobuf.js';

const GOAL = 200_000; // issue 15
const dir = join(import.meta.dirname, '..', 'test', 'testdata', 'samples');
const bodies = readdirSync(dir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json'))
  .map((f) => readFileSync(join(dir, f)));

const coreEncoder = new LogsProtobufEncoder({ 'service.name': 'openstack' }, { name: 'cadf-exporter', version: '0.1.0' });
const OBSERVED: [number, number] = [1_800_000_000, 0];
let sink = 0;
function once(body: Buffer): void {
  const d = decode(body);
  if (!d.ok) throw new Error(d.error.message);
  const r = toRecord(d.event);
  // The exporter encodes each record as it is built (src/pipeline/export-loop.ts).
  sink += coreEncoder.encodeRecord(r, OBSERVED).length + metricsOf(d.event).length;
}

/** V8's JSON.parse of the same bodies (the envelope, then the notification inside): the machine's speed. */
function parseOnly(): number {
  const texts = bodies.map((b) => b.toString('utf8'));
  const runs: number[] = [];
  for (let r = 0; r < 12; r++) {
    const t = process.hrtime.bigint();
    for (let k = 0; k < 50; k++) {
      for (const text of texts) {
        const outer = JSON.parse(text) as Record<string, unknown>;
        const inner = outer['oslo.message'];
        sink += typeof inner === 'string' ? Object.keys(JSON.parse(inner) as object).length : 1;
      }
    }
    runs.push(Number(process.hrtime.bigint() - t) / 1000 / (50 * texts.length));
  }
  return Math.min(...runs.slice(2));
}

function run(ms: number): number {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let n = 0;
  while (process.hrtime.bigint() < deadline) {
    for (const b of bodies) once(b);
    n += bodies.length;
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  return n / secs;
}

run(1000); // warm-up: let the JIT settle
const rates = Array.from({ length: 5 }, () => run(1000)).sort((a, b) => a - b);
const median = rates[2]!;
const avgBytes = bodies.reduce((s, b) => s + b.length, 0) / bodies.length;
console.log(`samples: ${bodies.length} bodies, ${Math.round(avgBytes)} bytes on average`);
console.log(`runs (events/s): ${rates.map((r) => Math.round(r)).join(' ')}`);
const parseUs = parseOnly();
console.log(`median: ${Math.round(median)} events/s = ${(1e6 / median).toFixed(1)} us/event, encoding included (goal >= ${GOAL})`);
console.log(`this machine: JSON.parse of the same bodies alone takes ${parseUs.toFixed(2)} us (${Math.round(1e6 / parseUs)}/s); the core costs ${(1e6 / median / parseUs).toFixed(2)} of those`);
console.log(median >= GOAL ? 'goal met' : 'GOAL NOT MET');
if (sink < 0) console.log(sink);
process.exitCode = median >= GOAL ? 0 : 1;

// Protobuf encoding of the same records: our LogsProtobufEncoder against the SDK's
// ProtobufLogsSerializer (src/sinks/otlp/protobuf.ts says why it exists).
const { ProtobufLogsSerializer } = await import('@opentelemetry/otlp-transformer');
const { resourceFromAttributes } = await import('@opentelemetry/resources');

const { toReadable } = await import('../src/sinks/otlp/exporter.js');
const resourceAttrs = { 'service.name': 'openstack', 'cloud.region': 'RegionOne' };
const scope = { name: 'cadf-exporter', version: '0.1.0' };
const records = Array.from({ length: 512 }, (_, i) => {
  const d = decode(bodies[i % bodies.length]!);
  if (!d.ok) throw new Error(d.error.message);
  return toRecord(d.event);
});
const observed = records.map(() => [1_800_000_000, 0] as [number, number]);
const encoder = new LogsProtobufEncoder(resourceAttrs, scope);
const resource = resourceFromAttributes(resourceAttrs);
function perRecordUs(fn: () => void): number {
  for (let i = 0; i < 50; i++) fn();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) fn();
    runs.push(Number(process.hrtime.bigint() - t) / 1000 / (100 * records.length));
  }
  return runs.sort((a, b) => a - b)[2]!;
}
const ours = perRecordUs(() => void encoder.encode({ records, observed }));
const sdk = perRecordUs(() => void ProtobufLogsSerializer.serializeRequest(records.map((r, i) => toReadable(r, observed[i]!, resource, scope))));
console.log(`protobuf encoding per record: ours ${ours.toFixed(2)} us, SDK serializer ${sdk.toFixed(2)} us (${(sdk / ours).toFixed(1)}x)`);
