// Several brokers at once (amqp.brokers): the machine's RabbitMQ and a private node of the test's
// own, each its own source. One is stopped mid-stream: the other keeps flowing, /readyz and the
// metrics name the one that is down, and once it is back nothing is lost.
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

describe('several brokers', () => {
  let node: PrivateRabbit;
  beforeAll(async () => {
    node = await PrivateRabbit.start('brokers');
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  it('consumes both; one stopped: the other flows, readyz names it; back: nothing lost', async () => {
    const names = testNames('brokers');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const main = await Broker.connect(AMQP_URL);
    let other = await Broker.connect(node.url);
    for (const e of names.exchanges) {
      await main.declareLikeOslo(e);
      await other.declareLikeOslo(e);
    }
    const brokers = [
      { name: 'main', url: AMQP_URL },
      { name: 'region2', url: node.url, queue: `${names.queue}-r2` },
    ];
    const exporter = ExporterProcess.spawn(
      ExporterProcess.envFor(names, receiver.url, { CADF_AMQP_BROKERS: JSON.stringify(brokers), CADF_AMQP_RECONNECT_MAX_DELAY_MS: '1000' }),
    );
    try {
      await exporter.waitReady(30_000);
      expect(exporter.stderr).toContain('"source":"amqp:main"');
      expect(exporter.stderr).toContain('"source":"amqp:region2"');
      const first = stream(400);
      await publish(main, names, first.slice(0, 200));
      await publish(other, names, first.slice(200));
      await waitFor(() => receiver.countsByUid().size >= 400, 30_000, () => `first: ${receiver.countsByUid().size}\n${exporter.stderr.slice(-2000)}`);

      await other.conn.close().catch(() => undefined);
      await node.stopApp();
      await waitFor(async () => (await exporter.get('/readyz')).status === 503, 20_000, () => 'readyz still 200');
      const ready = await exporter.get('/readyz');
      expect(ready.text).toContain('amqp:region2');
      expect(ready.text).not.toContain('amqp:main');
      expect(await exporter.metric('cadf_exporter_amqp_connected', { source: 'amqp:region2' })).toBe(0);
      expect(await exporter.metric('cadf_exporter_amqp_connected', { source: 'amqp:main' })).toBe(1);

      // The other broker keeps flowing while region2 is down.
      const during = stream(300);
      await publish(main, names, during);
      await waitFor(() => during.every((m) => receiver.countsByUid().has(m.id)), 30_000, () => 'main stopped flowing');

      await node.startApp();
      // A restarted node has lost oslo's non-durable exchanges: publish only once the exporter is
      // back (it declares them and binds its queue again), and declare them as oslo would.
      await waitFor(async () => (await exporter.metric('cadf_exporter_amqp_connected', { source: 'amqp:region2' })) === 1, 30_000, () => `region2 did not reconnect\n${exporter.stderr.slice(-2000)}`);
      other = await Broker.connect(node.url);
      for (const e of names.exchanges) await other.declareLikeOslo(e);
      const after = stream(300);
      await publish(other, names, after);
      await waitFor(() => after.every((m) => receiver.countsByUid().has(m.id)), 60_000, () => `region2 did not resume\n${exporter.stderr.slice(-2000)}`);
      await waitFor(async () => (await exporter.get('/readyz')).status === 200, 20_000, () => 'readyz not back');
      for (const m of [...first, ...during, ...after]) expect(receiver.countsByUid().has(m.id), m.id).toBe(true);
      expect(await exporter.metric('cadf_exporter_amqp_reconnects_total', { source: 'amqp:region2' })).toBeGreaterThanOrEqual(1);
      expect(await exporter.metric('cadf_exporter_amqp_reconnects_total', { source: 'amqp:main' })).toBe(0);
      expect(await exporter.metric('cadf_events_total')).toBe(1000);
      expect(await main.messageCount(names.queue)).toBe(0);
      expect(await other.messageCount(`${names.queue}-r2`)).toBe(0);
    } finally {
      await exporter.stop();
      await main.cleanup(names);
      await other.conn.close().catch(() => undefined);
      await receiver.close();
    }
  }, 180_000);

  it('a bad broker list fails at start naming the entry and the field', async () => {
    const bad = ExporterProcess.spawn({ CADF_AMQP_BROKERS: JSON.stringify([{ name: 'a', url: 'amqp://x/' }, { name: 'a', url: 'amqp://y/' }]) });
    expect(await bad.exited).toBe(1);
    expect(bad.stderr).toContain('amqp.brokers');
    expect(bad.stderr).toContain('the name "a" is used twice');
    const typo = ExporterProcess.spawn({ CADF_AMQP_BROKERS: JSON.stringify([{ name: 'a', url: 'amqp://u:s3cr3t@x/', queu: 'q' }]) });
    expect(await typo.exited).toBe(1);
    expect(typo.stderr).toContain('unknown field "queu"');
    expect(typo.stderr).not.toContain('s3cr3t');
  }, 60_000);
});
