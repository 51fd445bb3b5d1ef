import { describe, expect, it } from 'vitest';
import { decode, type LogRecordData } from '../../src/cadf/index.js';
import type { Enricher } from '../../src/enrich/enricher.js';
import { RecentIds } from '../../src/pipeline/dedup.js';
import { ExportLoop, type ExportObserver } from '../../src/pipeline/export-loop.js';
import { itemOf, type Item } from '../../src/pipeline/item.js';
import { ResultRouter } from '../../src/pipeline/router.js';
import type { BatchExporter } from '../../src/sinks/otlp/exporter.js';
import type { SendResult } from '../../src/sinks/otlp/failure.js';
import type { EncodedBatch, RecordBatch } from '../../src/sinks/otlp/protobuf.js';
import type { Delivery, Outcome } from '../../src/sources/types.js';
import { EventMetrics } from '../../src/sinks/metrics/event-metrics.js';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { withNewId } from '../support/messages.js';
import { cases } from '../support/testdata.js';

const ok: SendResult = { kind: 'ok', rejected: 0, message: '' };
const refused: SendResult = { kind: 'refused', reason: 'status_400', message: 'HTTP 400: bad' };

/** An exporter whose answer per request the test decides; it records what each request held. */
class ScriptedExporter implements BatchExporter {
  readonly calls: Array<{ uids: string[]; timeoutMs: number; at: number }> = [];
  constructor(private readonly answer: (uids: string[], call: number) => SendResult | Promise<SendResult>) {}
  async send(batch: RecordBatch, timeoutMs: number): Promise<SendResult> {
    const uids = batch.records.map((r) => String(r.attributes['log.record.uid']));
    this.calls.push({ uids, timeoutMs, at: Date.now() });
    await new Promise((r) => setImmediate(r));
    return this.answer(uids, this.calls.length);
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const noNames: Enricher = { enrich: () => Promise.resolve(), close: () => undefined };
const sample = cases('samples').find((c) => c.name.startsWith('keystone-user-created'))!;

/**
 * An exporter that encodes each record as it is built (as the http/protobuf one does): here the
 * "bytes" are the record's uid, or a throw for the uids the test names.
 */
class PreEncodingExporter extends ScriptedExporter {
  constructor(answer: (uids: string[], call: number) => SendResult, private readonly unencodable: readonly string[] = []) {
    super(answer);
  }
  readonly encodeRecord = (r: LogRecordData): Uint8Array => {
    const uid = String(r.attributes['log.record.uid']);
    if (this.unencodable.includes(uid)) throw new Error(`time of ${uid} is outside what OTLP's fixed64 nanoseconds hold`);
    return Buffer.from(uid);
  };
  override async send(batch: RecordBatch | EncodedBatch, timeoutMs: number): Promise<SendResult> {
    if (!('encoded' in batch)) throw new Error('expected an encoded batch');
    return super.send({ records: batch.encoded.map((b) => ({ attributes: { 'log.record.uid': Buffer.from(b).toString() } }) as unknown as LogRecordData), observed: [] }, timeoutMs);
  }
}

function setup(
  answer: (uids: string[], call: number) => SendResult | Promise<SendResult>,
  options: { systemicRefusals?: number; exporter?: ScriptedExporter } = {},
) {
  const exporter = options.exporter ?? new ScriptedExporter(answer);
  const outcomes = new Map<string, Outcome>();
  const events: string[] = [];
  const observer: ExportObserver = {
    exported: (n) => events.push(`exported:${n}`),
    failed: (reason) => events.push(`failed:${reason}`),
    partiallyRejected: (n, m) => events.push(`partial:${n}:${m}`),
    refusingAll: (on) => events.push(`refusingAll:${on}`),
    dropped: (n) => events.push(`dropped:${n}`),
  };
  const router = new ResultRouter(new RecentIds(1000), new EventMetrics(new Registry()), { eventLag: () => undefined, requeued: () => undefined }, pino({ level: 'silent' }));
  const loop = new ExportLoop(exporter, noNames, router, observer, {
    timeoutMs: 5000,
    retryInitialDelayMs: 5,
    retryMaxDelayMs: 20,
    systemicRefusals: options.systemicRefusals ?? 3,
  });
  const live = new Map<string, boolean>();
  const items = (n: number, prefix = 'm'): Item[] =>
    Array.from({ length: n }, (_, i) => {
      const id = `${prefix}${i}`;
      const body = withNewId(sample.body.toString('utf8'), id).body;
      const d = decode(body);
      if (!d.ok) throw new Error(d.error.message);
      live.set(id, true);
      const delivery: Delivery = {
        body,
        meta: {},
        redelivered: false,
        settle: (o) => {
          expect(outcomes.has(id), `${id} settled twice`).toBe(false);
          outcomes.set(id, o);
        },
        get live() {
          return live.get(id)!;
        },
      };
      return itemOf(delivery, d.event, [2, 0], undefined);
    });
  const statuses = () => Object.fromEntries([...outcomes].map(([k, o]) => [k, o.status]));
  return { exporter, loop, router, outcomes, events, items, live, statuses };
}

describe('ExportLoop', () => {
  it('checks that the sample carries its message id through', () => {
    const s = setup(() => ok);
    const item = s.items(1)[0]!;
    expect(String(item.event?.notification.messageId)).toBe('m0');
    expect(item.id).toBe('m0');
  });

  it('delivers a batch in one request, and settles every message delivered', async () => {
    const s = setup(() => ok);
    await s.loop.run(s.items(5));
    expect(s.exporter.calls).toHaveLength(1);
    expect(s.statuses()).toEqual({ m0: 'delivered', m1: 'delivered', m2: 'delivered', m3: 'delivered', m4: 'delivered' });
    expect(s.events).toEqual(['exported:5']);
  });

  it('retries what may pass later (503, 429, 401, timeout, network) until it does', async () => {
    const answers: SendResult[] = [
      { kind: 'retry', reason: 'status_5xx', message: 'HTTP 503' },
      { kind: 'retry', reason: 'status_429', message: 'HTTP 429' },
      { kind: 'retry', reason: 'status_401', message: 'HTTP 401' },
      { kind: 'retry', reason: 'timeout', message: 'timed out' },
      { kind: 'retry', reason: 'network', message: 'ECONNREFUSED' },
    ];
    const s = setup((_, call) => answers[call - 1] ?? ok);
    await s.loop.run(s.items(3));
    expect(s.exporter.calls).toHaveLength(6);
    expect(s.events).toEqual(['failed:status_5xx', 'failed:status_429', 'failed:status_401', 'failed:timeout', 'failed:network', 'exported:3']);
    expect(Object.values(s.statuses())).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('honours a Retry-After longer than the request timeout', async () => {
    const s = setup((_, call) => (call === 1 ? { kind: 'retry', reason: 'status_429', message: 'slow down', retryAfterMs: 300 } : ok));
    await s.loop.run(s.items(1));
    const [a, b] = s.exporter.calls;
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(290);
  });

  it('a record refused alone is found by bisection and dead-lettered; the rest is delivered', async () => {
    const s = setup((uids) => (uids.includes('m5') ? refused : ok));
    await s.loop.run(s.items(8));
    const st = s.statuses();
    expect(st.m5).toBe('rejected');
    expect((s.outcomes.get('m5') as Outcome & { status: 'rejected' }).reason).toEqual({ code: 'otlp_rejected', message: 'HTTP 400: bad' });
    expect(Object.entries(st).filter(([, v]) => v === 'delivered')).toHaveLength(7);
    // 8 -> 4+4 -> (4 ok) 2+2 -> (2 ok) 1+1: 1 + 2 + 2 + 2 requests.
    expect(s.exporter.calls.length).toBeLessThanOrEqual(7);
  });

  it('an encoder failure costs that record alone, and never counts toward an outage', async () => {
    const s = setup((uids) => (uids.includes('m2') ? { kind: 'refused', reason: 'encode', message: 'cannot encode the record: x' } : ok), { systemicRefusals: 1 });
    await s.loop.run(s.items(4));
    expect((s.outcomes.get('m2') as Outcome & { status: 'rejected' }).reason.code).toBe('encode_failed');
    expect(s.events).not.toContain('refusingAll:true');
    expect(Object.values(s.statuses()).filter((v) => v === 'delivered')).toHaveLength(3);
  });

  it('counts a partial success and settles the request delivered (the spec forbids retrying it)', async () => {
    const s = setup(() => ({ kind: 'ok', rejected: 2, message: 'too old' }));
    await s.loop.run(s.items(4));
    expect(s.events).toEqual(['partial:2:too old', 'exported:2']);
    expect(Object.values(s.statuses())).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
  });

  it('a systemic 400 stops dead-lettering after a few, holds the rest, and delivers them once the endpoint accepts again', async () => {
    let healthy = false;
    const s = setup(() => (healthy ? ok : refused), { systemicRefusals: 3 });
    const run = s.loop.run(s.items(40));
    while (!s.events.includes('refusingAll:true')) await new Promise((r) => setTimeout(r, 5));
    // Probing goes on with backoff, and no more dead letters.
    await new Promise((r) => setTimeout(r, 150));
    const rejectedWhileDown = Object.values(s.statuses()).filter((v) => v === 'rejected').length;
    // The third refusal in a row is taken for the outage: it and all after it are held.
    expect(rejectedWhileDown).toBe(2);
    healthy = true;
    await run;
    const st = Object.values(s.statuses());
    expect(st.filter((v) => v === 'rejected')).toHaveLength(2);
    expect(st.filter((v) => v === 'delivered')).toHaveLength(38);
    expect(s.events).toContain('refusingAll:false');
  });

  it('drops items whose delivery died before each attempt: retries carry only live ones', async () => {
    let calls = 0;
    const s = setup(() => (++calls <= 2 ? { kind: 'retry', reason: 'status_5xx', message: 'HTTP 503' } : ok));
    const items = s.items(6);
    const run = s.loop.run(items);
    while (s.exporter.calls.length < 1) await new Promise((r) => setImmediate(r));
    for (const id of ['m0', 'm1', 'm2']) s.live.set(id, false); // their channel closed
    s.loop.prune();
    await run;
    expect(s.exporter.calls[0]!.uids).toHaveLength(6);
    expect(s.exporter.calls.at(-1)!.uids).toEqual(['m3', 'm4', 'm5']);
    expect(s.events).toContain('dropped:3');
    expect(s.outcomes.has('m0')).toBe(false); // never settled: the broker redelivers it
    expect(s.loop.held).toBe(0);
  });

  it('after the deadline starts nothing and gives every message back; a request near it gets only the time left', async () => {
    const s = setup(() => ({ kind: 'retry', reason: 'timeout', message: 'timed out' }));
    const run = s.loop.run(s.items(3));
    while (s.exporter.calls.length < 1) await new Promise((r) => setImmediate(r));
    s.loop.setDeadline(Date.now() + 40);
    await run;
    expect(Object.values(s.statuses())).toEqual(['errored', 'errored', 'errored']);
    const last = s.exporter.calls.at(-1)!;
    expect(last.timeoutMs).toBeLessThanOrEqual(40);
    const before = s.exporter.calls.length;
    await s.loop.run(s.items(2, 'late'));
    expect(s.exporter.calls).toHaveLength(before);
    expect(s.outcomes.get('late0')?.status).toBe('errored');
  });

  it('a record that cannot be built is dead-lettered with record_failed; the rest goes on', async () => {
    const s = setup(() => ok);
    const items = s.items(3);
    // A payload the mapping cannot read: a getter that throws stands for a mapping bug.
    Object.defineProperty(items[1]!.event, 'classification', {
      get() {
        throw new Error('boom');
      },
    });
    await s.loop.run(items);
    expect((s.outcomes.get('m1') as Outcome & { status: 'rejected' }).reason.code).toBe('record_failed');
    expect(s.outcomes.get('m0')?.status).toBe('delivered');
    expect(s.outcomes.get('m2')?.status).toBe('delivered');
  });

  it('carries records built once per message (enrichment runs first)', async () => {
    const seen: LogRecordData[] = [];
    const s = setup(() => ok);
    const items = s.items(2);
    await s.loop.run(items);
    for (const i of items) seen.push(i.record!);
    expect(seen.map((r) => r.eventName)).toEqual(['identity.user.created', 'identity.user.created']);
  });

  describe('with an exporter that encodes records as they are built', () => {
    it('sends the encoded records and keeps neither event nor record of an item once encoded', async () => {
      const exporter = new PreEncodingExporter(() => ok);
      const s = setup(() => ok, { exporter });
      const items = s.items(3);
      await s.loop.run(items);
      expect(exporter.calls.map((c) => c.uids)).toEqual([['m0', 'm1', 'm2']]);
      expect(s.statuses()).toEqual({ m0: 'delivered', m1: 'delivered', m2: 'delivered' });
      for (const i of items) {
        expect(i.event).toBeUndefined();
        expect(i.record).toBeUndefined();
        expect(Buffer.from(i.encoded!).toString()).toBe(i.id);
        expect(i.metrics?.map((m) => m.name)).toContain('cadf_identity_operations_total');
      }
    });

    it('keeps the record when a listener reads delivered records', async () => {
      const exporter = new PreEncodingExporter(() => ok);
      const s = setup(() => ok, { exporter });
      const heard: string[] = [];
      s.router.onDelivered((r) => heard.push(String(r.attributes['log.record.uid'])));
      const items = s.items(2);
      await s.loop.run(items);
      expect(heard).toEqual(['m0', 'm1']);
      for (const i of items) expect(i.record?.eventName).toBe('identity.user.created');
    });

    it('dead-letters a record the encoder refuses at once, without a request or a bisection, and sends the rest', async () => {
      const exporter = new PreEncodingExporter(() => ok, ['m1']);
      const s = setup(() => ok, { exporter });
      await s.loop.run(s.items(3));
      const m1 = s.outcomes.get('m1') as Outcome & { status: 'rejected' };
      expect(m1.reason.code).toBe('encode_failed');
      expect(m1.reason.message).toMatch(/^cannot encode the record: time of m1/);
      expect(exporter.calls.map((c) => c.uids)).toEqual([['m0', 'm2']]);
      expect(s.statuses()).toEqual({ m0: 'delivered', m1: 'rejected', m2: 'delivered' });
    });

    it('splits an encoded batch the endpoint refuses, as it splits records', async () => {
      const exporter = new PreEncodingExporter((uids) => (uids.includes('m2') ? refused : ok));
      const s = setup(() => ok, { exporter });
      await s.loop.run(s.items(4));
      expect(s.statuses()).toEqual({ m0: 'delivered', m1: 'delivered', m2: 'rejected', m3: 'delivered' });
    });
  });
});
