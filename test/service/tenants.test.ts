// Records routed to log-store tenants (CADF_OTLP_TENANT_BY): each request carries one tenant in
// X-Scope-OrgID, and every record in it belongs to that tenant. Checked at the protocol level by
// the local OTLP receiver, with the real exporter and RabbitMQ.
import { describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { stream } from '../support/messages.js';
import { OtlpReceiver, type ReceivedRecord } from '../support/otlp-receiver.js';
import { Broker, testNames } from '../support/rabbit.js';

const FALLBACK = 'audit-unscoped';

function expectedTenant(r: ReceivedRecord, by: 'project' | 'domain'): string {
  const a = r.attributes;
  const own = a[`openstack.assignment.${by}.id`];
  const resource = a['openstack.resource.type'] === by ? a['openstack.resource.id'] : undefined;
  const scope = a[`openstack.${by}.id`];
  return String(own ?? resource ?? scope ?? FALLBACK);
}

describe.each(['project', 'domain'] as const)('tenant routing by %s', (by) => {
  it('one tenant per request, every record in the right one, the fallback for the rest', async () => {
    const names = testNames(`tenant-${by}`);
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const exporter = ExporterProcess.spawn(ExporterProcess.envFor(names, receiver.url, { CADF_OTLP_TENANT_BY: by, CADF_OTLP_TENANT_FALLBACK: FALLBACK }));
    try {
      await exporter.waitReady();
      const msgs = stream(600);
      await broker.publish(names.exchanges[0]!, msgs.filter((m) => m.keystone).map((m) => m.body));
      await broker.publish(names.exchanges[1]!, msgs.filter((m) => !m.keystone).map((m) => m.body));
      await waitFor(() => receiver.countsByUid().size >= msgs.length, 30_000, () => `${receiver.countsByUid().size}/${msgs.length}\n${exporter.stderr.slice(-2000)}`);
      const tenants = new Set<string>();
      for (const req of receiver.requests) {
        const tenant = String(req.headers['x-scope-orgid']);
        tenants.add(tenant);
        for (const r of req.records) expect(tenant, String(r.attributes['log.record.uid'])).toBe(expectedTenant(r, by));
      }
      // Several tenants, the fallback among them: the routing is not vacuous.
      expect(tenants.size).toBeGreaterThan(2);
      expect(tenants.has(FALLBACK)).toBe(true);
    } finally {
      await exporter.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 60_000);
});

describe('no tenant routing (the default)', () => {
  it('sends no tenant header', async () => {
    const names = testNames('tenant-none');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const exporter = ExporterProcess.spawn(ExporterProcess.envFor(names, receiver.url));
    try {
      await exporter.waitReady();
      const msgs = stream(50);
      await broker.publish(names.exchanges[0]!, msgs.map((m) => m.body));
      await waitFor(() => receiver.countsByUid().size >= msgs.length, 30_000, () => 'not all exported');
      for (const req of receiver.requests) expect(req.headers['x-scope-orgid']).toBeUndefined();
    } finally {
      await exporter.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 60_000);
});
