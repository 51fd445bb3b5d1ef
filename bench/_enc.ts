import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, toRecord } from '../src/cadf/index.js';
import { LogsProtobufEncoder } from '../src/sinks/otlp/protobuf.js';
const dir = join(import.meta.dirname, '..', 'test', 'testdata', 'samples');
const bodies = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json')).map((f) => readFileSync(join(dir, f)));
const enc = new LogsProtobufEncoder({ 'service.name': 'openstack' }, { name: 'x', version: '1' });
let sink = 0;
const res: number[] = [];
for (let r = 0; r < 30; r++) {
  // fresh records each round, as in the exporter: bodies not yet flattened
  const recs = [];
  for (let w = 0; w < 60; w++) for (const b of bodies) { const d = decode(b); if (d.ok) recs.push(toRecord(d.event)); }
  const obs = recs.map(() => [1_800_000_000, 0] as [number, number]);
  const t = process.hrtime.bigint();
  for (let i = 0; i < recs.length; i += 256) sink += enc.encode({ records: recs.slice(i, i + 256), observed: obs.slice(i, i + 256) }).length;
  res.push(Number(process.hrtime.bigint() - t) / 1000 / recs.length);
}
const s = res.slice(10).sort((a, b) => a - b);
console.log(`encode ${s[Math.floor(s.length / 2)]!.toFixed(2)} us/record (fresh records)`, sink > 0);
