// At-least-once delivery against the real RabbitMQ: nothing is acked before the OTLP endpoint
// accepted it, nothing is lost while it is down or failing, and bad records do not block the rest.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { stream, withNewId, type Message } from '../support/messages.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { Broker, testNames, type TestNames } from '../support/rabbit.js';
import { cases } from '../support/testdata.js';

interface Rig {
  names: TestNames;
  receiver: OtlpReceiver;
  broker: Broker;
  exporter: ExporterProcess;
}

let rig: Rig | undefined;

async function setUp(prefix: string, extraEnv: Record<string, string> = {}): Promise<Rig> {
  const names = testNames(prefix);
  const receiver = new OtlpReceiver();
  await receiver.listen();
  const broker = await Broker.connect();
  const exporter = ExporterProcess.spawn(ExporterProcess.envFor(names, receiver.url, extraEnv));
  await exporter.waitReady();
  for (const e of names.exchanges) await broker.declareLikeOslo(e);
  rig = { names, receiver, broker, exporter };
  return rig;
}

afterEach(async () => {
  if (rig === undefined) return;
  await rig.exporter.stop();
  await rig.broker.cleanup(rig.names);
  await rig.receiver.close();
  rig = undefined;
});

async function publish(r: Rig, msgs: Message[]): Promise<void> {
  await r.broker.publish(r.names.exchanges[0]!, msgs.filter((m) => m.keystone).map((m) => m.body));
  await r.broker.publish(r.names.exchanges[1]!, msgs.filter((m) => !m.keystone).map((m) => m.body));
}

/** Every message arrived exactly once and the queue is empty. */
async function expectAllOnce(r: Rig, msgs: Message[], timeoutMs = 30_000): Promise<void> {
  await waitFor(() => r.receiver.accepted.length >= msgs.length, timeoutMs, () => `${r.receiver.accepted.length}/${msgs.length} arrived\n${r.exporter.stderr.slice(-2000)}`);
  await waitFor(async () => (await r.exporter.metric('cadf_exporter_inflight_messages')) === 0, 10_000, () => 'messages still unacked');
  const counts = r.receiver.countsByUid();
  expect(counts.size).toBe(msgs.length);
  for (const m of msgs) expect(counts.get(m.id), m.id).toBe(1);
  expect(await r.broker.messageCount(r.names.queue)).toBe(0);
  expect(await r.exporter.metric('cadf_events_total')).toBe(msgs.length);
}

describe('delivery', () => {
  it('endpoint down for 30 s: nothing acked, in-flight bounded by prefetch, then all arrive once', async () => {
    const r = await setUp('down', { CADF_AMQP_PREFETCH: '50', CADF_EXPORT_BATCH_SIZE: '20' });
    await r.receiver.close();
    const msgs = stream(400);
    await publish(r, msgs);
    await sleep(30_000);
    expect(r.receiver.accepted).toHaveLength(0);
    expect(await r.exporter.metric('cadf_exporter_inflight_messages')).toBe(50);
    expect(await r.broker.messageCount(r.names.queue)).toBe(350); // the queue is the buffer
    expect(await r.exporter.metric('cadf_exporter_export_failures_total', { reason: 'network' })).toBeGreaterThan(0);
    expect(await r.exporter.metric('cadf_events_total')).toBe(0); // counted only once exported
    await r.receiver.listen();
    await expectAllOnce(r, msgs);
  }, 90_000);

  it('503 then 200: retried until accepted', async () => {
    const r = await setUp('503');
    let failures = 3;
    r.receiver.respond = () => (failures-- > 0 ? { status: 503 } : { status: 200 });
    const msgs = stream(300);
    await publish(r, msgs);
    await expectAllOnce(r, msgs);
    expect(r.receiver.requests.length).toBeGreaterThan(3);
  }, 60_000);

  it('429 with Retry-After: waits as told, then delivers', async () => {
    const r = await setUp('429');
    const times: number[] = [];
    r.receiver.respond = () => {
      times.push(Date.now());
      return times.length === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 };
    };
    const msgs = stream(50);
    await publish(r, msgs);
    await expectAllOnce(r, msgs);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1900);
  }, 60_000);

  it('400 for one record of a batch: that record is dead-lettered with the reason, the rest delivered', async () => {
    const r = await setUp('400', { CADF_EXPORT_BATCH_SIZE: '64', CADF_EXPORT_BATCH_DELAY_MS: '500' });
    const sample = cases('samples').find((c) => c.name === 'keystone-user-created-global-request-id.json')!.body.toString();
    const poison = withNewId(sample, 'poison-1', (m) => {
      ((m.payload as Record<string, unknown>).initiator as Record<string, unknown>).username = 'rejected-by-store';
    });
    r.receiver.respond = (req) =>
      req.records.some((x) => x.attributes['user.name'] === 'rejected-by-store')
        ? { status: 400, body: '{"message":"entry too far behind"}' }
        : { status: 200 };
    const good = stream(100);
    await publish(r, [...good.slice(0, 50), poison, ...good.slice(50)]);
    await waitFor(async () => (await r.broker.messageCount(r.names.deadLetterQueue)) === 1, 30_000, () => `no dead letter\n${r.exporter.stderr.slice(-2000)}`);
    await expectAllOnce(r, good);
    const [dead] = await r.broker.drain(r.names.deadLetterQueue);
    expect(dead!.content.equals(poison.body)).toBe(true);
    expect(dead!.properties.headers?.['x-cadf-error-code']).toBe('otlp_rejected');
    expect(String(dead!.properties.headers?.['x-cadf-error-message'])).toContain('HTTP 400');
    expect(String(dead!.properties.headers?.['x-cadf-error-message'])).toContain('entry too far behind');
    expect(await r.exporter.metric('cadf_exporter_dead_letters_total', { reason: 'otlp_rejected' })).toBe(1);
  }, 60_000);

  it('poison messages of every error code are dead-lettered with their reason, counted and acked', async () => {
    const r = await setUp('poison');
    const poison = cases('errors');
    await r.broker.publish(r.names.exchanges[1]!, poison.map((c) => c.body));
    const good = stream(20);
    await publish(r, good);
    await waitFor(async () => (await r.broker.messageCount(r.names.deadLetterQueue)) === poison.length, 20_000, () => `dead letters: ${r.exporter.stderr.slice(-2000)}`);
    await expectAllOnce(r, good);
    const dead = await r.broker.drain(r.names.deadLetterQueue);
    const byBody = new Map(dead.map((d) => [d.content.toString('base64'), d.properties.headers ?? {}]));
    for (const c of poison) {
      const code = c.name.split('-')[0]!;
      const h = byBody.get(c.body.toString('base64'));
      expect(h, c.name).toBeDefined();
      expect(h!['x-cadf-error-code'], c.name).toBe(code);
      expect(String(h!['x-cadf-error-message']).length, c.name).toBeGreaterThan(5);
      expect(h!['x-cadf-exchange']).toBe(r.names.exchanges[1]);
    }
    expect(await r.exporter.metric('cadf_exporter_messages_received_total', { result: 'invalid' })).toBe(poison.length);
    expect(await r.exporter.metric('cadf_exporter_dead_letters_total', { reason: 'invalid_json' })).toBe(poison.filter((c) => c.name.startsWith('invalid_json')).length);
    // Logged once each, with the code.
    expect(r.exporter.stderr.match(/dead-lettering undecodable message/g)).toHaveLength(poison.length);
  }, 60_000);
});
