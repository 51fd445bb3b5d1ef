// `cadf-exporter run` with its name store in the machine's real MariaDB, cut off mid-run (its
// own database user locked out and its sessions killed): events keep flowing, nothing is lost,
// the outage shows on /metrics, and it recovers by itself.
import { afterEach, describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { stream } from '../support/messages.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { Broker, testNames } from '../support/rabbit.js';
import { TestDatabase } from '../support/sql.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('a name store outage', () => {
  it('degrades to the local memory: every event exported, store_up 0, errors counted; back to 1 once it answers', async () => {
    const names = testNames('store-outage');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect();
    const db = await TestDatabase.create('mysql');
    cleanups.push(() => receiver.close(), () => broker.cleanup(names), () => db.drop());
    const exporter = ExporterProcess.spawn(
      ExporterProcess.envFor(names, receiver.url, {
        CADF_ENRICH_STORE_URL: db.url,
        CADF_ENRICH_STORE_FLUSH_INTERVAL_MS: '200',
        CADF_ENRICH_STORE_TIMEOUT_MS: '1000',
      }),
    );
    cleanups.push(() => exporter.stop());
    await exporter.waitReady();
    const up = () => exporter.metric('cadf_exporter_name_store_up', { store: 'mysql' });
    await waitFor(async () => (await up()) === 1, 10_000, () => exporter.stderr.slice(-2000));
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const publish = async (n: number) => {
      const msgs = stream(n);
      await broker.publish(names.exchanges[0]!, msgs.filter((m) => m.keystone).map((m) => m.body));
      await broker.publish(names.exchanges[1]!, msgs.filter((m) => !m.keystone).map((m) => m.body));
    };

    await publish(300);
    await waitFor(() => receiver.accepted.length >= 300, 20_000, () => exporter.stderr.slice(-2000));
    // The names the events taught are in the store.
    const stored = async () => Number((await db.rows("SELECT COUNT(*) AS n FROM cadf_names WHERE kind = 'user'"))[0]!.n);
    await waitFor(async () => (await stored()) > 0, 5000, () => 'no names written');

    await db.cutOff();
    await waitFor(async () => (await up()) === 0, 10_000, () => exporter.stderr.slice(-2000));
    await publish(300);
    await waitFor(() => receiver.accepted.length >= 600, 20_000, () => exporter.stderr.slice(-2000));
    await waitFor(async () => (await broker.messageCount(names.queue)) === 0, 10_000, () => 'queue not drained');
    expect(await exporter.metric('cadf_exporter_records_exported_total')).toBe(600);
    expect(await exporter.metric('cadf_exporter_name_store_errors_total')).toBeGreaterThan(0);
    expect(exporter.stderr).toContain('name store unreachable');
    expect(await exporter.get('/readyz')).toMatchObject({ status: 200 });

    await db.restore();
    await waitFor(async () => (await up()) === 1, 10_000, () => exporter.stderr.slice(-2000));
    await waitFor(async () => (await exporter.metric('cadf_exporter_name_store_pending_names')) === 0, 10_000, () => 'names not written after the outage');
  }, 90_000);
});
