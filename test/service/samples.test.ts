// Every shared sample through the real service: real RabbitMQ, the real OTLP exporter (protobuf
// and JSON), a receiver that decodes what arrives, and /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, metricsOf, toRecord } from '../../src/cadf/index.js';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { Broker, testNames } from '../support/rabbit.js';
import { cases } from '../support/testdata.js';

interface Sample {
  readonly name: string;
  readonly body: Buffer;
  readonly exchange: string;
  readonly id: string;
}

describe.each(['http/protobuf', 'http/json'])('all samples through the service (%s)', (protocol) => {
  const names = testNames('samples');
  const receiver = new OtlpReceiver();
  let broker: Broker;
  let exporter: ExporterProcess;
  const first: Sample[] = [];
  const repeats: Sample[] = [];

  beforeAll(async () => {
    const seen = new Set<string>();
    for (const c of cases('samples')) {
      const isKeystone = c.body.includes('identity.');
      const exchange = names.exchanges[isKeystone ? 0 : 1]!;
      const d = decode(c.body, { exchange });
      if (!d.ok) throw new Error(`${c.name} does not decode`);
      const id = d.event.notification.messageId!;
      (seen.has(id) ? repeats : first).push({ name: c.name, body: c.body, exchange, id });
      seen.add(id);
    }
    await receiver.listen();
    broker = await Broker.connect();
    exporter = ExporterProcess.spawn(ExporterProcess.envFor(names, receiver.url, { OTEL_EXPORTER_OTLP_PROTOCOL: protocol }));
    await exporter.waitReady();
  });

  afterAll(async () => {
    await exporter.stop();
    await broker.cleanup(names);
    await receiver.close();
  });

  it('exports every message once, with the attributes the core maps, and counts it', async () => {
    for (const s of first) await broker.publish(s.exchange, [s.body]);
    await waitFor(() => receiver.accepted.length >= first.length, 20_000, () => `${receiver.accepted.length}/${first.length} arrived\n${exporter.stderr}`);
    await waitFor(async () => (await broker.messageCount(names.queue)) === 0 && (await exporter.metric('cadf_exporter_inflight_messages')) === 0, 10_000, () => 'queue not empty');

    expect(receiver.accepted).toHaveLength(first.length);
    expect(receiver.requests[0]!.contentType).toBe(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
    const byUid = new Map(receiver.accepted.map((r) => [r.attributes['log.record.uid'], r]));
    const expected = new Map<string, number>();
    for (const s of first) {
      const d = decode(s.body, { exchange: s.exchange });
      if (!d.ok) throw new Error(s.name);
      const want = toRecord(d.event);
      const got = byUid.get(s.id);
      expect(got, s.name).toBeDefined();
      // The core's attributes, plus the names the name memory learned from the other samples.
      expect(got!.attributes, s.name).toMatchObject(want.attributes);
      const added = Object.keys(got!.attributes).filter((k) => !(k in want.attributes));
      for (const k of added) expect(k, s.name).toMatch(/^(user\.name|openstack\.(.+\.)?name)$/);
      if (added.length === 0) expect(got!.body, s.name).toBe(want.body);
      expect(got!.eventName, s.name).toBe(want.eventName);
      expect(got!.severityNumber, s.name).toBe(want.severityNumber);
      expect(got!.severityText, s.name).toBe(want.severityText);
      if (want.timestamp) expect(got!.timeUnixNano, s.name).toBe(String(BigInt(want.timestamp[0]) * 1_000_000_000n + BigInt(want.timestamp[1])));
      expect(got!.resource['service.name']).toBe('openstack');
      expect(got!.scope.name).toBe('cadf-exporter');
      for (const m of metricsOf(d.event)) {
        if (m.value !== undefined) continue;
        const key = JSON.stringify([m.name, m.labels]);
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
    }
    for (const [key, count] of expected) {
      const [name, labels] = JSON.parse(key) as [string, Record<string, string>];
      expect(await exporter.metric(name, labels), key).toBe(count);
    }
    expect(await exporter.metric('cadf_exporter_messages_received_total', { result: 'decoded' })).toBe(first.length);
    expect(await exporter.metric('cadf_exporter_records_exported_total')).toBe(first.length);
    expect(await exporter.metric('cadf_api_request_duration_seconds_count')).toBeGreaterThan(0);
  });

  it('a message with an oslo message_id already exported is acked, not exported or counted again', async () => {
    const before = await exporter.metric('cadf_events_total');
    for (const s of repeats) await broker.publish(s.exchange, [s.body]);
    await waitFor(async () => (await exporter.metric('cadf_exporter_messages_received_total', { result: 'duplicate' })) === repeats.length, 10_000, () => 'duplicates not seen');
    await waitFor(async () => (await broker.messageCount(names.queue)) === 0, 10_000, () => 'queue not empty');
    expect(await exporter.metric('cadf_events_total')).toBe(before);
    expect(receiver.accepted).toHaveLength(first.length);
  });

  it('serves /healthz and /readyz', async () => {
    expect((await exporter.get('/healthz')).status).toBe(200);
    expect((await exporter.get('/readyz')).status).toBe(200);
    expect((await exporter.get('/nope')).status).toBe(404);
  });
});
