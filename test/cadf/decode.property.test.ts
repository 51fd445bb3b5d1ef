import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_CODES } from '../../src/cadf/errors.js';
import { decode, metricsOf, toRecord } from '../../src/cadf/index.js';
import { KNOWN_OPERATIONS, KNOWN_RESOURCE_TYPES } from '../../src/cadf/classify.js';
import { SERVICES } from '../../src/cadf/service.js';
import { cases } from '../support/testdata.js';

const samples = cases('samples').map((c) => c.body);

/** Decoding is total: a value out, never an exception, and a record and metrics for every event. */
function check(body: Uint8Array): void {
  const d = decode(body);
  if (!d.ok) {
    expect(DECODE_ERROR_CODES).toContain(d.error.code);
    expect(d.error.code).not.toBe('internal');
    expect(d.error.message.length).toBeGreaterThan(0);
    expect(d.error.message.length).toBeLessThan(300);
    return;
  }
  const r = toRecord(d.event);
  expect(typeof r.body).toBe('string');
  expect(r.body).not.toContain('\n');
  for (const m of metricsOf(d.event)) {
    if (m.name === 'cadf_identity_operations_total') {
      expect(KNOWN_RESOURCE_TYPES.has(m.labels.resource_type!) || m.labels.resource_type === 'other').toBe(true);
      expect(KNOWN_OPERATIONS.has(m.labels.operation!) || m.labels.operation === 'other').toBe(true);
    }
    if (m.labels.service !== undefined) expect(SERVICES.has(m.labels.service)).toBe(true);
    if (m.labels.reason_code !== undefined) expect(m.labels.reason_code).toMatch(/^(none|other|[1-5]\d\d)$/);
  }
}

const sample = fc.constantFrom(...samples);

/** A real sample with its notification or payload poked at a random key with an arbitrary value. */
const mutatedJson = fc
  .tuple(sample, fc.nat(), fc.jsonValue({ maxDepth: 4 }), fc.boolean())
  .map(([body, pick, value, inPayload]) => {
    const outer = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const v2 = typeof outer['oslo.message'] === 'string';
    const msg = (v2 ? JSON.parse(outer['oslo.message'] as string) : outer) as Record<string, unknown>;
    const target = inPayload && typeof msg.payload === 'object' && msg.payload !== null ? (msg.payload as Record<string, unknown>) : msg;
    const keys = Object.keys(target);
    const key = keys.length > 0 ? keys[pick % keys.length]! : 'x';
    target[key] = value;
    const text = v2 ? JSON.stringify({ ...outer, 'oslo.message': JSON.stringify(msg) }) : JSON.stringify(msg);
    return Buffer.from(text);
  });

describe('decode never throws', () => {
  it('on mutated real samples (a key replaced by any JSON value)', () => {
    fc.assert(fc.property(mutatedJson, check), { numRuns: 3000 });
  });

  it('on real samples with bytes flipped, cut or inserted', () => {
    const bytes = fc
      .tuple(sample, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { minLength: 1, maxLength: 8 }))
      .map(([body, edits]) => {
        let b = Buffer.from(body);
        for (const [pos, byte, op] of edits) {
          const i = b.length === 0 ? 0 : pos % b.length;
          if (op === 'flip') b[i] = byte;
          else if (op === 'cut') b = b.subarray(0, i);
          else b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
        }
        return b;
      });
    fc.assert(fc.property(bytes, check), { numRuns: 3000 });
  });

  it('on arbitrary bytes and arbitrary JSON', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), check), { numRuns: 2000 });
    fc.assert(fc.property(fc.jsonValue(), (v) => check(Buffer.from(JSON.stringify(v) ?? 'null'))), { numRuns: 2000 });
  });

  it('on notifications built from arbitrary field values', () => {
    const field = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.constantFrom('success', 'failure', 'pending', 'unknown'));
    const notification = fc.record(
      {
        event_type: fc.oneof(fc.constantFrom('identity.authenticate', 'audit.http.response', 'identity.user.deleted', 'identity.role_assignment.created'), fc.string()),
        priority: field,
        message_id: field,
        timestamp: field,
        payload: fc.record(
          { id: field, eventTime: fc.oneof(field, fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), action: field, outcome: field, initiator: field, target: field, observer: field, reason: field, resource_info: field, role: field, reporterchain: field, tags: field, requestPath: field },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(notification, fc.boolean(), (n, wrap) => {
        const text = wrap ? JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(n) }) : JSON.stringify(n);
        check(Buffer.from(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('on absurd nesting and sizes', () => {
    check(Buffer.from('['.repeat(200_000) + ']'.repeat(200_000)));
    check(Buffer.from(`{"event_type": "x", "payload": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`));
    check(Buffer.alloc(2 * 1024 * 1024, 0x20));
    check(Buffer.alloc(0));
  });
});
