import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { decode, metricsOf, toRecord } from '../src/cadf/index.js';
import { decodeEnvelope } from '../src/cadf/envelope.js';
import { LogsProtobufEncoder } from '../src/sinks/otlp/protobuf.js';
import { renderBody } from '../src/cadf/body.js';
import { attributesOf } from '../src/cadf/record.js';
const dir = join(import.meta.dirname, '..', 'test', 'testdata', 'samples');
const bodies = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json')).map((f) => readFileSync(join(dir, f)));
const texts = bodies.map((b) => b.toString('utf8'));
const outers = texts.map((t) => JSON.parse(t));
const inners = outers.map((o) => o['oslo.message'] as string | undefined);
const events = bodies.map((b) => { const d = decode(b); if (!d.ok) throw new Error(); return d.event; });
const recs = events.map((e) => toRecord(e));
const enc = new LogsProtobufEncoder({ 'service.name': 'openstack' }, { name: 'x', version: '1' });
const obs = recs.map(() => [1_800_000_000, 0] as [number, number]);
let sink = 0;
const td = new TextDecoder('utf-8', { fatal: true });
function time(name: string, fn: (i: number) => void): void {
  for (let w = 0; w < 300; w++) for (let i = 0; i < bodies.length; i++) fn(i);
  const res: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let w = 0; w < 300; w++) for (let i = 0; i < bodies.length; i++) fn(i);
    res.push(Number(process.hrtime.bigint() - t) / 1000 / (300 * bodies.length));
  }
  console.log(`${name.padEnd(28)} ${res.sort((a, b) => a - b)[2]!.toFixed(2)} us`);
}
time('isUtf8', (i) => { sink += isUtf8(bodies[i]!) ? 1 : 0; });
time('toString', (i) => { sink += bodies[i]!.toString('utf8').length; });
time('TextDecoder fatal', (i) => { sink += td.decode(bodies[i]!).length; });
time('outer JSON.parse', (i) => { sink += JSON.parse(texts[i]!) ? 1 : 0; });
time('inner JSON.parse', (i) => { const s = inners[i]; if (s) sink += JSON.parse(s) ? 1 : 0; });
time('decodeEnvelope', (i) => { sink += decodeEnvelope(bodies[i]!).ok ? 1 : 0; });
time('decode (all)', (i) => { sink += decode(bodies[i]!).ok ? 1 : 0; });
time('attributesOf', (i) => { sink += Object.keys(attributesOf(events[i]!)).length; });
time('renderBody', (i) => { sink += renderBody(events[i]!).length; });
time('metricsOf', (i) => { sink += metricsOf(events[i]!).length; });
time('encode (per rec, batch 77)', (i) => { if (i === 0) sink += enc.encode({ records: recs, observed: obs }).length; });
console.log(sink > 0);
time('iterate attrs for-in', (i) => { const a = recs[i]!.attributes; for (const k in a) { const v = a[k]; sink += typeof v === 'string' ? v.length : 1; } });
time('iterate Object.keys', (i) => { const a = recs[i]!.attributes; const ks = Object.keys(a); for (let j = 0; j < ks.length; j++) { const v = a[ks[j]!]; sink += typeof v === 'string' ? v.length : 1; } });
const ents = recs.map((r) => Object.entries(r.attributes));
time('iterate entries arr', (i) => { const a = ents[i]!; for (let j = 0; j < a.length; j++) { const v = a[j]![1]; sink += typeof v === 'string' ? v.length : 1; } });
time('count attrs', (i) => { sink += Object.keys(recs[i]!.attributes).length; });
const noAttrs = recs.map((r) => ({ ...r, attributes: {} }));
time('encode no attrs', (i) => { if (i === 0) sink += enc.encode({ records: noAttrs, observed: obs }).length; });
const shortBody = recs.map((r) => ({ ...r, body: 'x' }));
time('encode short body', (i) => { if (i === 0) sink += enc.encode({ records: shortBody, observed: obs }).length; });
let nattr = 0, nlong = 0, nascii = 0; for (const r of recs) for (const k in r.attributes) { nattr++; const v = r.attributes[k]; if (typeof v === 'string') { if (v.length > 60) nlong++; if (/^[\x00-\x7f]*$/.test(v)) nascii++; } }
console.log('attrs/rec', nattr / recs.length, 'long', nlong / recs.length, 'ascii', nascii / recs.length, 'body avg', recs.reduce((s, r) => s + r.body.length, 0) / recs.length);
const flat = (s: string): string => JSON.parse(JSON.stringify(s)) as string;
const flatRecs = recs.map((r) => ({ ...r, body: flat(r.body), attributes: Object.fromEntries(Object.entries(r.attributes).map(([k, v]) => [k, typeof v === 'string' ? flat(v) : v])) }));
time('encode flat strings', (i) => { if (i === 0) sink += enc.encode({ records: flatRecs, observed: obs }).length; });
const flatBody = recs.map((r) => ({ ...r, body: flat(r.body) }));
time('encode flat body only', (i) => { if (i === 0) sink += enc.encode({ records: flatBody, observed: obs }).length; });
