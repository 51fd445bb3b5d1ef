// The name memory across a restart: a name learned before is in the record of a deletion after.
import { describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { withNewId } from '../support/messages.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { Broker, testNames } from '../support/rabbit.js';
import { cases } from '../support/testdata.js';

const body = (name: string) => cases(name.endsWith('.bin') ? 'cornercases' : 'samples').find((c) => c.name === name)!.body.toString();

describe('name memory in the service', () => {
  it('keeps names across a restart: the deleted user is named', async () => {
    const names = testNames('names');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const env = ExporterProcess.envFor(names, receiver.url);
    let exporter = ExporterProcess.spawn(env);
    try {
      await exporter.waitReady();
      // grace (7ec4ab48...) logs in: Keystone's authenticate event carries her name.
      await broker.publish(names.exchanges[0]!, [withNewId(body('keystone-authenticate-success-internal-password-recheck.json')).body]);
      await waitFor(() => receiver.accepted.length === 1, 10_000, () => exporter.stderr);
      expect(await exporter.metric('cadf_exporter_names', { kind: 'user' })).toBe(1);
      expect(await exporter.stop()).toBe(0);

      exporter = ExporterProcess.spawn(env);
      await exporter.waitReady();
      // Her deletion: Keystone < 25 sends only her id, no initiator.
      await broker.publish(names.exchanges[0]!, [withNewId(body('quirk-user-deleted-no-initiator.bin')).body]);
      await waitFor(() => receiver.accepted.length === 2, 10_000, () => exporter.stderr);
      const deleted = receiver.accepted[1]!;
      expect(deleted.eventName).toBe('identity.user.deleted');
      expect(deleted.attributes['openstack.resource.name']).toBe('grace');
      expect(deleted.body).toBe('USER DELETED: success: user grace (7ec4ab48670241e6880354a8baf4e5d4) by unknown');
      expect(await exporter.metric('cadf_exporter_name_cache_requests_total', { result: 'hit' })).toBe(1);
    } finally {
      await exporter.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 60_000);

  it('two exporters cannot share a data directory', async () => {
    const names = testNames('names-lock');
    const env = ExporterProcess.envFor(names, undefined);
    const first = ExporterProcess.spawn(env);
    const broker = await Broker.connect();
    try {
      await first.waitReady();
      const second = ExporterProcess.spawn(env);
      expect(await second.exited).toBe(1);
      expect(second.stderr).toContain('each exporter needs its own enrich.dataDir');
    } finally {
      await first.stop();
      await broker.cleanup(names);
    }
  }, 30_000);
});
