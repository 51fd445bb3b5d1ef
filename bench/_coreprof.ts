import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, metricsOf, toRecord } from '../src/cadf/index.js';
import { LogsProtobufEncoder } from '../src/sinks/otlp/protobuf.js';
const dir = join(import.meta.dirname, '..', 'test', 'testdata', 'samples');
const bodies = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json')).map((f) => readFileSync(join(dir, f)));
const enc = new LogsProtobufEncoder({ 'service.name': 'openstack' }, { name: 'x', version: '1' });
let sink = 0;
const t0 = Date.now(); let n = 0;
const recs: ReturnType<typeof toRecord>[] = []; const obs: [number, number][] = [];
while (Date.now() - t0 < Number(process.env.MS ?? 6000)) {
  for (const b of bodies) {
    const d = decode(b); if (!d.ok) throw new Error('x');
    const r = toRecord(d.event); sink += metricsOf(d.event).length;
    recs.push(r); obs.push([1_800_000_000, 0]);
    if (recs.length === 256) { sink += enc.encode({ records: recs, observed: obs }).length; recs.length = 0; obs.length = 0; }
  }
  n += bodies.length;
}
console.log(`${Math.round(n / ((Date.now() - t0) / 1000))} events/s incl. encode`, sink > 0);
