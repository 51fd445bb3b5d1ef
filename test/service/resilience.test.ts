// The service against a broker that goes away, a queue that is deleted, a SIGTERM mid-stream,
// and bad configuration.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { stream, type Message } from '../support/messages.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { PrivateRabbit } from '../support/private-rabbit.js';
import { AMQP_URL, Broker, testNames, type TestNames } from '../support/rabbit.js';

async function publish(broker: Broker, names: TestNames, msgs: Message[]): Promise<void> {
  await broker.publish(names.exchanges[0]!, msgs.filter((m) => m.keystone).map((m) => m.body));
  await broker.publish(names.exchanges[1]!, msgs.filter((m) => !m.keystone).map((m) => m.body));
}

function uniqueUids(receiver: OtlpReceiver): Set<unknown> {
  return new Set(receiver.accepted.map((r) => r.attributes['log.record.uid']));
}

describe('resilience', () => {
  // A node of the test's own: closing every connection on the machine's broker would cut the
  // other test files' (and any other client's) connections too.
  let node: PrivateRabbit;
  beforeAll(async () => {
    node = await PrivateRabbit.start('resilience');
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  it('broker closes every connection during a 10,000-message stream: reconnects, loses nothing, counts once', async () => {
    const names = testNames('reconnect');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    let broker = await Broker.connect(node.url);
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const exporter = ExporterProcess.spawn(ExporterProcess.envFor(names, receiver.url, { CADF_AMQP_URL: node.url }));
    try {
      await exporter.waitReady();
      const msgs = stream(10_000);
      await publish(broker, names, msgs.slice(0, 6000));
      await waitFor(() => receiver.accepted.length >= 1500, 30_000, () => 'stream did not start');
      await node.closeAllConnections(); // the exporter's and ours
      broker = await Broker.connect(node.url);
      await publish(broker, names, msgs.slice(6000));
      await waitFor(() => uniqueUids(receiver).size >= msgs.length, 60_000, () => `${uniqueUids(receiver).size}/${msgs.length}\n${exporter.stderr.slice(-3000)}`);
      await waitFor(async () => (await broker.messageCount(names.queue)) === 0 && (await exporter.metric('cadf_exporter_inflight_messages')) === 0, 20_000, () => 'queue not drained');
      const ids = uniqueUids(receiver);
      for (const m of msgs) expect(ids.has(m.id)).toBe(true);
      expect(await exporter.metric('cadf_exporter_amqp_reconnects_total')).toBeGreaterThanOrEqual(1);
      expect(await exporter.metric('cadf_exporter_amqp_connected')).toBe(1);
      // Redelivered messages may be exported again (log.record.uid lets the store drop them),
      // but every message is counted exactly once.
      expect(await exporter.metric('cadf_events_total')).toBe(msgs.length);
      expect(exporter.stderr).toMatch(/"msg":"(connection lost|connection error|channel closed)"/);
      expect(exporter.stderr).toContain('"msg":"reconnecting"');
      expect(exporter.stderr).not.toContain('guest:guest');
    } finally {
      await exporter.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 120_000);

  it('SIGTERM mid-stream: exits cleanly in time; after a restart every message is exported', async () => {
    const names = testNames('sigterm');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    // A slow endpoint keeps exports in flight when the signal comes.
    receiver.respond = async () => {
      await sleep(100);
      return { status: 200 };
    };
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const env = ExporterProcess.envFor(names, receiver.url, { CADF_EXPORT_BATCH_SIZE: '50', CADF_AMQP_PREFETCH: '200' });
    const first = ExporterProcess.spawn(env);
    let second: ExporterProcess | undefined;
    try {
      await first.waitReady();
      const msgs = stream(3000);
      await publish(broker, names, msgs);
      await waitFor(() => receiver.accepted.length >= 500, 30_000, () => 'stream did not start');
      const t = Date.now();
      expect(await first.stop('SIGTERM')).toBe(0);
      expect(Date.now() - t).toBeLessThan(10_000);
      expect(first.stderr).toContain('shutting down');
      expect(first.stderr).toContain('"msg":"stopped"');
      const exportedByFirst = uniqueUids(receiver).size;
      const acceptedByFirst = receiver.accepted.length;
      expect(exportedByFirst).toBeLessThan(msgs.length);
      // The first acked what it exported: what is left in the queue is only what it did not.
      const left = await broker.messageCount(names.queue);
      expect(left + exportedByFirst).toBeLessThanOrEqual(msgs.length);
      second = ExporterProcess.spawn(env);
      await waitFor(() => uniqueUids(receiver).size >= msgs.length, 60_000, () => `${uniqueUids(receiver).size}/${msgs.length}`);
      // The second exports what was left, plus at most one prefetch of redeliveries.
      expect(receiver.accepted.length - acceptedByFirst).toBeLessThanOrEqual(left + 200);
      await waitFor(async () => (await broker.messageCount(names.queue)) === 0 && (await second!.metric('cadf_exporter_inflight_messages')) === 0, 20_000, () => 'queue not drained');
      const ids = uniqueUids(receiver);
      for (const m of msgs) expect(ids.has(m.id)).toBe(true);
      expect(await broker.messageCount(names.deadLetterQueue)).toBe(0);
    } finally {
      await first.stop();
      await second?.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 120_000);

  it('SIGTERM while the endpoint never answers: exits by the deadline, acks nothing, the queue keeps it all', async () => {
    const names = testNames('hang');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    receiver.respond = () => new Promise(() => undefined); // accepts the request, never replies
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const env = ExporterProcess.envFor(names, receiver.url, { CADF_SHUTDOWN_TIMEOUT_MS: '3000', OTEL_EXPORTER_OTLP_TIMEOUT: '60000' });
    const exporter = ExporterProcess.spawn(env);
    try {
      await exporter.waitReady();
      const msgs = stream(500);
      await publish(broker, names, msgs);
      await waitFor(() => receiver.requests.length >= 1, 20_000, () => 'no request reached the endpoint');
      const t = Date.now();
      expect(await exporter.stop('SIGTERM')).toBe(0);
      // The deadline (3 s) holds although the request timeout (60 s) has not run out.
      expect(Date.now() - t).toBeLessThan(8000);
      expect(exporter.stderr).toContain('deadline reached');
      expect(receiver.accepted).toHaveLength(0);
      await waitFor(async () => (await broker.messageCount(names.queue)) === msgs.length, 10_000, () => 'messages did not go back to the queue');
      expect(await broker.messageCount(names.deadLetterQueue)).toBe(0);
    } finally {
      await exporter.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 60_000);

  it('broker unreachable: /readyz is 503, reconnects back off; with a second URL it fails over', async () => {
    const names = testNames('failover');
    const down = ExporterProcess.spawn({ ...ExporterProcess.envFor(names, undefined), CADF_AMQP_URL: 'amqp://guest:secret@127.0.0.1:5999/' });
    try {
      await waitFor(async () => (await down.get('/healthz').catch(() => ({ status: 0 }))).status === 200, 20_000, () => down.stderr);
      await sleep(1500);
      expect((await down.get('/readyz')).status).toBe(503);
      expect(await down.metric('cadf_exporter_amqp_connected')).toBe(0);
      expect(await down.metric('cadf_exporter_amqp_reconnects_total')).toBeGreaterThanOrEqual(2);
      expect(down.stderr).toContain('cannot connect to RabbitMQ');
      expect(down.stderr).toContain('amqp://127.0.0.1:5999/');
      expect(down.stderr).not.toContain('secret');
    } finally {
      await down.stop();
    }
    const both = ExporterProcess.spawn({ ...ExporterProcess.envFor(names, undefined), CADF_AMQP_URL: `amqp://guest:guest@127.0.0.1:5999/,${AMQP_URL}` });
    const broker = await Broker.connect();
    try {
      await both.waitReady();
      expect(both.stderr).toContain('"broker":"amqp://127.0.0.1:5672/","queue"');
    } finally {
      await both.stop();
      await broker.cleanup(names);
    }
  }, 60_000);

  it('queue deleted under it (consumer cancelled by the broker): re-declares and resumes', async () => {
    const names = testNames('cancel');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect();
    const exporter = ExporterProcess.spawn(ExporterProcess.envFor(names, receiver.url));
    try {
      await exporter.waitReady();
      // The exporter declared the exchanges (they did not exist) as oslo would: oslo's own
      // declaration afterwards must be accepted, not fail with PRECONDITION_FAILED.
      for (const e of names.exchanges) await broker.declareLikeOslo(e);
      const ch = await broker.conn.createChannel();
      await ch.deleteQueue(names.queue);
      await waitFor(() => exporter.stderr.includes('consumer cancelled by the broker'), 10_000, () => exporter.stderr);
      await exporter.waitReady();
      const msgs = stream(100);
      await publish(broker, names, msgs);
      await waitFor(() => receiver.accepted.length >= msgs.length, 20_000, () => exporter.stderr.slice(-2000));
      expect(await exporter.metric('cadf_exporter_amqp_reconnects_total')).toBeGreaterThanOrEqual(1);
    } finally {
      await exporter.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 60_000);

  it('bad configuration: exits 1 naming the key, the value and the fix', async () => {
    const p = ExporterProcess.spawn({ CADF_AMQP_PREFETCH: 'lots', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(await p.exited).toBe(1);
    expect(p.stderr).toContain('amqp.prefetch = lots (from env CADF_AMQP_PREFETCH): must be a whole number >= 1');
    expect(p.stderr).toContain('otlp.protocol = "grpc" (from env OTEL_EXPORTER_OTLP_PROTOCOL)');
    expect(p.stderr).toContain('Allowed: one of http/protobuf, http/json');
    const q = ExporterProcess.spawn({ CADF_AMQP_QUEUE: 'notifications.info' });
    expect(await q.exited).toBe(1);
    expect(q.stderr).toContain("oslo's own queue");
  }, 30_000);
});
