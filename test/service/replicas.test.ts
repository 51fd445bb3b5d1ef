// Three `cadf-exporter run` processes as competing consumers of one quorum queue, sharing a name
// store in the machine's real PostgreSQL: every event is exported, the replicas' counters add up
// to what was published, and `kill -9` of one replica mid-stream loses nothing (its unacked
// messages come again to the others: at least once, the excess bounded and reported).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { withNewId, type Message } from '../support/messages.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { Broker, testNames } from '../support/rabbit.js';
import { TestDatabase } from '../support/sql.js';
import { cases } from '../support/testdata.js';

const PREFETCH = 100;
/** The CADF samples (their payload id becomes the record's cadf.event.id). */
const samples = cases('samples')
  .map((c) => c.body.toString('utf8'))
  .filter((text) => {
    const outer = JSON.parse(text) as Record<string, unknown>;
    const msg = (typeof outer['oslo.message'] === 'string' ? JSON.parse(outer['oslo.message']) : outer) as { payload?: { typeURI?: unknown; id?: unknown } };
    return typeof msg.payload?.typeURI === 'string' && typeof msg.payload.id === 'string';
  });

/** n notifications whose CADF ids are their oslo message ids, so each record is told apart. */
function unique(n: number): Message[] {
  return Array.from({ length: n }, (_, i) =>
    withNewId(samples[i % samples.length]!, undefined, (msg) => {
      (msg.payload as Record<string, unknown>).id = msg.message_id;
    }),
  );
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('three replicas on one quorum queue with a shared store', () => {
  it('count every event once between them, and lose nothing when one is killed with SIGKILL', async () => {
    const names = testNames('replicas');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect();
    const db = await TestDatabase.create('postgres');
    cleanups.push(() => receiver.close(), () => broker.cleanup(names), () => db.drop());
    const replicas = ['r1', 'r2', 'r3'].map((instance) =>
      ExporterProcess.spawn(
        ExporterProcess.envFor(names, receiver.url, {
          CADF_AMQP_QUEUE_TYPE: 'quorum',
          CADF_AMQP_PREFETCH: String(PREFETCH),
          CADF_EXPORT_BATCH_SIZE: '50',
          CADF_EXPORT_BATCH_DELAY_MS: '20',
          CADF_ENRICH_STORE_URL: db.url,
          OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instance}`,
        }),
      ),
    );
    cleanups.push(async () => void (await Promise.all(replicas.map((r) => r.stop()))));
    // One at a time: the first creates the queues, the others find them.
    for (const r of replicas) await r.waitReady(30_000);
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const publish = async (msgs: Message[]): Promise<void> => {
      await broker.publish(names.exchanges[0]!, msgs.filter((m) => m.keystone).map((m) => m.body));
      await broker.publish(names.exchanges[1]!, msgs.filter((m) => !m.keystone).map((m) => m.body));
    };
    const ids = () => receiver.accepted.map((r) => String(r.attributes['cadf.event.id']));
    const exportedBy = async (r: ExporterProcess) => r.metric('cadf_exporter_records_exported_total');

    // 1. No crash: exactly once between them, and each did part of the work.
    const first = unique(3000);
    await publish(first);
    await waitFor(() => receiver.accepted.length >= first.length, 60_000, () => replicas.map((r) => r.stderr.slice(-1000)).join('\n'));
    await waitFor(async () => (await broker.messageCount(names.queue)) === 0, 10_000, () => 'queue not drained');
    const counts = await Promise.all(replicas.map(exportedBy));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(first.length);
    expect(new Set(ids())).toEqual(new Set(first.map((m) => m.id)));
    expect(counts.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    const decoded = await Promise.all(replicas.map((r) => r.metric('cadf_exporter_messages_received_total', { result: 'decoded' })));
    expect(decoded.reduce((a, b) => a + b, 0)).toBe(first.length);

    // 2. kill -9 of r1 while the stream flows.
    receiver.accepted.length = 0;
    const second = unique(4000);
    const publishing = (async () => {
      for (let i = 0; i < second.length; i += 200) {
        await publish(second.slice(i, i + 200));
        await sleep(50);
      }
    })();
    const [victim, ...survivors] = replicas as [ExporterProcess, ExporterProcess, ExporterProcess];
    const fromVictim = () => receiver.accepted.filter((r) => r.resource['service.instance.id'] === 'r1').length;
    await waitFor(() => fromVictim() >= 100, 30_000, () => victim.stderr.slice(-2000));
    victim.child.kill('SIGKILL');
    await victim.exited;
    const victimExported = fromVictim(); // what a last scrape of r1's counter would show, at most
    await publishing;
    const want = new Set(second.map((m) => m.id));
    await waitFor(() => want.size === new Set(ids().filter((id) => want.has(id))).size, 60_000, () => survivors.map((r) => r.stderr.slice(-1000)).join('\n'));
    await waitFor(async () => (await broker.messageCount(names.queue)) === 0, 10_000, () => 'queue not drained');
    const survivorCounts = await Promise.all(survivors.map(exportedBy));
    const total = victimExported + survivorCounts.reduce((a, b) => a + b, 0) - (counts[1]! + counts[2]!);
    const excess = total - second.length;
    const duplicates = receiver.accepted.length - want.size;
    console.log(`kill -9 of one replica: ${second.length} published, ${total} counted by the three, excess ${excess} (records exported again: ${duplicates})`);
    // Nothing lost; what counts twice is only what r1 exported and had not acked: at most its window.
    expect(excess).toBeGreaterThanOrEqual(0);
    expect(excess).toBeLessThanOrEqual(PREFETCH);
    expect(duplicates).toBe(excess);
  }, 180_000);
});
