import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { decode, metricsOf, toRecord, type AuditEvent, type LogRecordData, type MetricSample } from '../../src/cadf/index.js';
import { TESTDATA } from './testdata.js';

export interface Decoded {
  readonly event: AuditEvent;
  readonly record: LogRecordData;
  readonly metrics: MetricSample[];
}

/** Decodes a testdata file (`samples/x.json`, `cornercases/y.bin`) that must decode. */
export function decodeFile(path: string, exchange?: string): Decoded {
  const d = decode(readFileSync(join(TESTDATA, path)), exchange ? { exchange } : undefined);
  if (!d.ok) expect.fail(`${path}: ${d.error.code}: ${d.error.message}`);
  return { event: d.event, record: toRecord(d.event), metrics: metricsOf(d.event) };
}

export function metric(d: Decoded, name: string): MetricSample | undefined {
  return d.metrics.find((m) => m.name === name);
}
