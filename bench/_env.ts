import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEnvelope } from '../src/cadf/envelope.js';
import { decode } from '../src/cadf/index.js';
const dir = join(import.meta.dirname, '..', 'test', 'testdata', 'samples');
const bodies = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json')).map((f) => readFileSync(join(dir, f)));
let sink = 0;
for (const [name, fn] of [['decodeEnvelope', (b: Buffer) => decodeEnvelope(b).ok], ['decode', (b: Buffer) => decode(b).ok]] as const) {
  const res: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t = process.hrtime.bigint();
    for (let w = 0; w < 200; w++) for (const b of bodies) sink += fn(b) ? 1 : 0;
    res.push(Number(process.hrtime.bigint() - t) / 1000 / (200 * bodies.length));
  }
  res.sort((a, b) => a - b);
  console.log(`${name} min ${res[0]!.toFixed(2)} median ${res[7]!.toFixed(2)} us`);
}
