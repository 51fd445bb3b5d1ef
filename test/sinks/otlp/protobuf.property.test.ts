// Property test through the encoder: arbitrary times, numbers, strings and nesting either encode
// exactly as OpenTelemetry's own serializer does, or fail with EncodeError (a defined, permanent
// error for that record): never a RangeError from a Buffer write, never different bytes.
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type { Attributes, HrTime, LogRecordData } from '../../../src/cadf/index.js';
import { toReadable } from '../../../src/sinks/otlp/exporter.js';
import { EncodeError, LogsProtobufEncoder } from '../../../src/sinks/otlp/protobuf.js';

const root = protobuf.loadSync(new URL('../../support/otlp-logs.proto', import.meta.url).pathname);
const Request = root.lookupType('otlp.ExportLogsServiceRequest');
const asObject = (bytes: Uint8Array) => Request.toObject(Request.decode(bytes), { longs: String, bytes: String, oneofs: true });

const resourceAttrs = { 'service.name': 'openstack' };
const scope = { name: 'cadf-exporter', version: '1.0.0' };
const resource = resourceFromAttributes(resourceAttrs);

// Well-formed text (lone surrogates are covered on their own below).
const text = fc.string({ unit: 'grapheme', maxLength: 300 });
const number = fc.oneof(
  { arbitrary: fc.integer(), weight: 6 },
  { arbitrary: fc.double(), weight: 3 },
  { arbitrary: fc.constantFrom(2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 63, -(2 ** 63), 1e300, Number.MAX_VALUE, Number.NaN, Infinity, -Infinity, -0), weight: 1 },
);
const value = fc.oneof(text, number, fc.boolean(), fc.array(text, { maxLength: 5 }));
const attributes = fc.dictionary(fc.string({ minLength: 1, maxLength: 40 }), value, { maxKeys: 12 }) as fc.Arbitrary<Attributes>;
const seconds = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 18_446_744_072 }), weight: 8 },
  { arbitrary: fc.integer({ min: -4_000_000_000, max: 30_000_000_000 }), weight: 1 },
  { arbitrary: fc.constantFrom(-1, 0, 18_446_744_072, 18_446_744_073), weight: 1 },
);
const time = fc.tuple(seconds, fc.integer({ min: 0, max: 999_999_999 })) as fc.Arbitrary<HrTime>;
const record: fc.Arbitrary<LogRecordData> = fc.record({
  eventName: text,
  timestamp: fc.option(time, { nil: undefined }),
  severityNumber: fc.integer({ min: 0, max: 24 }),
  severityText: fc.constantFrom('', 'INFO', 'WARN', 'ERROR'),
  body: text,
  attributes,
});

describe('LogsProtobufEncoder, property', () => {
  it('encodes as the SDK serializer does, or throws EncodeError', () => {
    const encoder = new LogsProtobufEncoder(resourceAttrs, scope);
    let encoded = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(record, time), { minLength: 1, maxLength: 3 }), (pairs) => {
        const batch = { records: pairs.map((p) => p[0]), observed: pairs.map((p) => p[1]) };
        let ours: Uint8Array;
        try {
          ours = encoder.encode(batch);
        } catch (err) {
          expect(err).toBeInstanceOf(EncodeError);
          refused += 1;
          return;
        }
        encoded += 1;
        const theirs = ProtobufLogsSerializer.serializeRequest(batch.records.map((r, i) => toReadable(r, batch.observed[i]!, resource, scope)))!;
        expect(asObject(ours)).toEqual(asObject(theirs));
      }),
      { numRuns: 400 },
    );
    // Both branches ran: the property is not vacuous.
    expect(encoded).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(5);
  });

  it('a record dated 1969 or after 2554 is an EncodeError, and the encoder works on afterwards', () => {
    const encoder = new LogsProtobufEncoder(resourceAttrs, scope);
    const r: LogRecordData = { eventName: 'e', timestamp: [-1, 0], severityNumber: 9, severityText: 'INFO', body: 'b', attributes: {} };
    expect(() => encoder.encode({ records: [r], observed: [[1, 0]] })).toThrow(EncodeError);
    expect(() => encoder.encode({ records: [{ ...r, timestamp: [18_446_744_074, 0] }], observed: [[1, 0]] })).toThrow(EncodeError);
    const good = encoder.encode({ records: [{ ...r, timestamp: [1_700_000_000, 5] }], observed: [[1_700_000_001, 0]] });
    const decoded = asObject(good) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ timeUnixNano: string }> }> }> };
    expect(decoded.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.timeUnixNano).toBe('1700000000000000005');
  });

  it('a lone surrogate becomes U+FFFD: the bytes on the wire are valid UTF-8, as Loki requires', () => {
    const encoder = new LogsProtobufEncoder(resourceAttrs, scope);
    const r: LogRecordData = { eventName: 'e', timestamp: [1, 0], severityNumber: 9, severityText: 'INFO', body: `a\ud800b`, attributes: { k: 'x\udfffy' } };
    const bytes = Buffer.from(encoder.encode({ records: [r], observed: [[1, 0]] }));
    expect(bytes.includes(Buffer.from('a\ufffdb'))).toBe(true);
    expect(bytes.includes(Buffer.from('x\ufffdy'))).toBe(true);
  });
});
