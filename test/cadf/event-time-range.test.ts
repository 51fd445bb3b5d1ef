// An event time OTLP cannot carry (before 1970, after 2554) must cost that record nothing but its
// timestamp: the core clamps it to the observed time and keeps the original (issue 10).
import { describe, expect, it } from 'vitest';
import { decode, toRecord } from '../../src/cadf/index.js';
import { LogsProtobufEncoder } from '../../src/sinks/otlp/protobuf.js';
import { withNewId } from '../support/messages.js';
import { cases } from '../support/testdata.js';

const auth = cases('samples').find((c) => c.name.startsWith('keystone-doc-authenticate-success'))!;

function dated(eventTime: string) {
  const m = withNewId(auth.body.toString('utf8'), undefined, (msg) => {
    (msg.payload as Record<string, unknown>).eventTime = eventTime;
  });
  const d = decode(m.body);
  if (!d.ok) throw new Error(d.error.message);
  return d.event;
}

describe('event times outside OTLP', () => {
  it.each([
    ['1969-12-31T23:59:59.000000+0000', '1969-12-31T23:59:59.000000Z'],
    ['1900-01-01T00:00:00.000000+0000', '1900-01-01T00:00:00.000000Z'],
    ['2600-01-01T00:00:00.000000+0000', '2600-01-01T00:00:00.000000Z'],
  ])('%s: the record takes the observed time and keeps the original', (text, original) => {
    const ev = dated(text);
    expect(ev.time).toBeUndefined();
    const r = toRecord(ev);
    expect(r.timestamp).toBeUndefined();
    expect(r.attributes['cadf.event_time.original']).toBe(original);
    // ...and so it encodes: the observed time stands in.
    const bytes = new LogsProtobufEncoder({}, { name: 's', version: '1' }).encode({ records: [r], observed: [[1_800_000_000, 0]] });
    expect(bytes.length).toBeGreaterThan(100);
  });

  it('a time OTLP carries is kept, with no extra attribute', () => {
    const ev = dated('1970-01-01T00:00:00.000000+0000');
    expect(ev.time).toEqual([0, 0]);
    expect(toRecord(ev).attributes['cadf.event_time.original']).toBeUndefined();
  });
});
