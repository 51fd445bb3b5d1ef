// Bare CADF on the default exchange (sapcc/go-bits audittools): the producer declares a transient
// queue and sendToQueue's CADF JSON with no oslo envelope. With amq.default in the exchanges the
// exporter consumes that queue as the producer declared it, binds nothing, and decodes every body.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { AMQP_URL, Broker, testNames } from '../support/rabbit.js';

function bareEvent(id: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event',
      id,
      eventTime: '2026-11-23T10:15:02.123456+00:00',
      eventType: 'activity',
      action: 'update/set-quota',
      outcome: 'success',
      reason: { reasonType: 'HTTP', reasonCode: '202' },
      initiator: { typeURI: 'service/security/account/user', id: '7ec4a9e1c7b24fd6a3f0b1d7e3c2a901', name: 'alice', project_id: '1040b5f1d2c34e0f8a9b7c6d5e4f3a21' },
      target: { typeURI: 'compute/project-quota', id: '1040b5f1d2c34e0f8a9b7c6d5e4f3a21' },
      observer: { typeURI: 'service/resources', id: 'limes' },
    }),
  );
}

describe('bare CADF on the default exchange', () => {
  it("consumes the producer's transient queue as it is and exports every body", async () => {
    const names = testNames('bare');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect(AMQP_URL);
    // As go-bits does: a non-durable queue of its own, messages straight to it.
    await broker.ch.assertQueue(names.queue, { durable: false });
    const ids = Array.from({ length: 40 }, () => randomUUID());
    const send = async (slice: string[]): Promise<void> => {
      for (const id of slice) broker.ch.sendToQueue(names.queue, bareEvent(id), { contentType: 'application/json' });
      await broker.ch.waitForConfirms();
    };
    await send(ids.slice(0, 20));
    const exporter = ExporterProcess.spawn(ExporterProcess.envFor(names, receiver.url, { CADF_AMQP_EXCHANGES: 'amq.default' }));
    try {
      await exporter.waitReady(30_000);
      await send(ids.slice(20));
      const exported = (): Set<string> => new Set(receiver.accepted.map((r) => String(r.attributes['cadf.event.id'])));
      await waitFor(() => exported().size >= ids.length, 30_000, () => `${exported().size} exported\n${exporter.stderr.slice(-2000)}`);
      expect([...exported()].sort()).toEqual([...ids].sort());
      for (const r of receiver.accepted) {
        expect(r.eventName).toBe('audit.cadf');
        expect(r.attributes['openstack.service']).toBe('compute');
      }
      expect(await exporter.metric('cadf_events_total', { category: 'api', outcome: 'success' })).toBe(ids.length);
      // Still the producer's transient queue: the exporter neither redeclared nor bound it.
      expect(exporter.stderr).not.toContain('PRECONDITION_FAILED');
      const bound = exporter.stderr.split('\n').find((l) => l.includes('bound exchanges'));
      expect(bound, 'the start log says which exchanges are bound').toBeDefined();
      expect((JSON.parse(bound!) as { exchanges: string[] }).exchanges).toEqual([]);
      expect(await broker.messageCount(names.queue)).toBe(0);
    } finally {
      await exporter.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 90_000);
});
