import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decode, toRecord, type HrTime, type LogRecordData } from '../../../src/cadf/index.js';
import { LogsProtobufEncoder } from '../../../src/sinks/otlp/protobuf.js';
import { toReadable } from '../../../src/sinks/otlp/exporter.js';
import { cases } from '../../support/testdata.js';

const root = protobuf.loadSync(new URL('../../support/otlp-logs.proto', import.meta.url).pathname);
const Request = root.lookupType('otlp.ExportLogsServiceRequest');
const asObject = (bytes: Uint8Array) => Request.toObject(Request.decode(bytes), { longs: String, bytes: String, oneofs: true });

const resourceAttrs = { 'service.name': 'openstack', 'cloud.region': 'RégionÜn', 'x.count': 3, 'x.flag': true };
const scope = { name: 'cadf-exporter', version: '1.2.3' };

function sampleRecords(): { records: LogRecordData[]; observed: HrTime[] } {
  const records: LogRecordData[] = [];
  for (const dir of ['samples', 'cornercases']) {
    for (const c of cases(dir)) {
      const d = decode(c.body);
      if (d.ok) records.push(toRecord(d.event));
    }
  }
  // Values the samples lack: non-ASCII, negative and large integers, doubles, long strings.
  records.push({
    eventName: 'x.ünïcode',
    timestamp: [1_700_000_000, 123_456_789],
    severityNumber: 17,
    severityText: 'ERROR',
    body: `${'é'.repeat(200)} ✓`,
    attributes: { neg: -5, big: 2 ** 40, dbl: 0.25, arr: ['a', 'ß', ''], empty: '', t: true, f: false },
  });
  return { records, observed: records.map((_, i) => [1_800_000_000 + i, 999_000_000] as HrTime) };
}

describe('LogsProtobufEncoder', () => {
  it("encodes what OpenTelemetry's own ProtobufLogsSerializer encodes, record for record", () => {
    const batch = sampleRecords();
    const ours = new LogsProtobufEncoder(resourceAttrs, scope).encode(batch);
    const resource = resourceFromAttributes(resourceAttrs);
    const readables = batch.records.map((r, i) => toReadable(r, batch.observed[i]!, resource, scope));
    const theirs = ProtobufLogsSerializer.serializeRequest(readables)!;
    expect(asObject(ours)).toEqual(asObject(theirs));
    expect(batch.records.length).toBeGreaterThan(80);
  });

  it('frames records encoded one by one into the very bytes of the whole batch', () => {
    const batch = sampleRecords();
    const enc = new LogsProtobufEncoder(resourceAttrs, scope);
    const whole = Buffer.from(enc.encode(batch));
    const encoded = batch.records.map((r, i) => enc.encodeRecord(r, batch.observed[i]!));
    expect(Buffer.from(enc.encode({ encoded })).equals(whole)).toBe(true);
    // A part of them (a bisection's half) decodes to those records alone.
    const half = asObject(enc.encode({ encoded: encoded.slice(3, 5) })) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: unknown[] }> }> };
    const all = asObject(whole) as typeof half;
    expect(half.resourceLogs[0]!.scopeLogs[0]!.logRecords).toEqual(all.resourceLogs[0]!.scopeLogs[0]!.logRecords.slice(3, 5));
  });

  it('reuses its buffer across batches without leaking bytes between them', () => {
    const enc = new LogsProtobufEncoder(resourceAttrs, scope);
    const big = sampleRecords();
    enc.encode(big);
    const small = { records: big.records.slice(0, 1), observed: big.observed.slice(0, 1) };
    const decoded = asObject(enc.encode(small)) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: unknown[] }> }> };
    expect(decoded.resourceLogs[0]!.scopeLogs[0]!.logRecords).toHaveLength(1);
  });

  it('grows for a batch larger than its buffer', () => {
    const enc = new LogsProtobufEncoder(resourceAttrs, scope);
    const r: LogRecordData = { eventName: 'e', timestamp: [1, 0], severityNumber: 9, severityText: 'INFO', body: 'x'.repeat(100_000), attributes: {} };
    const bytes = enc.encode({ records: Array(30).fill(r) as LogRecordData[], observed: Array(30).fill([2, 0]) as HrTime[] });
    expect(bytes.length).toBeGreaterThan(3_000_000);
    expect((asObject(bytes) as { resourceLogs: unknown[] }).resourceLogs).toHaveLength(1);
  });
});
