// Notifications end to end: the real exporter, the real broker, a real Alertmanager, and the
// webhook it notifies (what a person would be sent). And Alertmanager away: counted, and the
// export goes on.
import { describe, expect, it } from 'vitest';
import { AlertmanagerProcess, webhookConfig, WebhookReceiver } from '../support/alertmanager.js';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { withNewId } from '../support/messages.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { Broker, testNames } from '../support/rabbit.js';
import { cases } from '../support/testdata.js';
import { freePort } from '../dashboards/prometheus.js';

const body = (name: string) => cases(name.endsWith('.bin') ? 'cornercases' : 'samples').find((c) => c.name === name)!.body.toString();
const USER = '7ec4ab48670241e6880354a8baf4e5d4';

describe('notifications through Alertmanager', () => {
  it('a user created then deleted: the webhook gets the deletion, named from the name memory', async () => {
    const names = testNames('notify');
    const hook = new WebhookReceiver();
    await hook.listen();
    const am = await AlertmanagerProcess.start(webhookConfig(hook.url));
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const exporter = ExporterProcess.spawn(
      ExporterProcess.envFor(names, receiver.url, {
        CADF_NOTIFY_ALERTMANAGER_URL: am.url,
        CADF_NOTIFY_BUILTIN_RULES: 'true',
        OTEL_RESOURCE_ATTRIBUTES: 'cloud.region=RegionOne',
      }),
    );
    try {
      await exporter.waitReady();
      // grace logs in (Keystone names her in the authenticate event: the name memory learns it),
      // is created by admin (Keystone's create event carries only her id), then deleted (Zed:
      // her id only, no initiator).
      const deletion = withNewId(body('quirk-user-deleted-no-initiator.bin'));
      await broker.publish(names.exchanges[0]!, [
        withNewId(body('keystone-authenticate-success-internal-password-recheck.json')).body,
        withNewId(body('keystone-user-created-global-request-id.json')).body,
        deletion.body,
      ]);
      await waitFor(() => receiver.accepted.length === 3, 15_000, () => exporter.stderr);
      await waitFor(() => hook.alerts.length >= 1, 20_000, () => `no webhook call:\n${am.stderr}\n${exporter.stderr}`);
      // Only the deletion matches a built-in rule: the login and the creation raise nothing.
      expect(hook.alerts.length).toBe(1);
      const alert = hook.alerts[0]!;
      expect(alert.status).toBe('firing');
      expect(alert.labels).toEqual({
        alertname: 'KeystoneUserDeleted',
        severity: 'warning',
        event: 'identity.user.deleted',
        resource_type: 'user',
        cloud_region: 'RegionOne',
        record_uid: deletion.id,
      });
      expect(alert.annotations.summary).toBe('A user was deleted.');
      expect(alert.annotations.description).toBe(`USER DELETED: success: user grace (${USER}) by unknown`);
      expect(alert.annotations.log_record_uid).toBe(deletion.id);
      expect(alert.annotations.who).toBe('unknown');
      expect(alert.annotations.when).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(receiver.accepted[2]!.attributes['log.record.uid']).toBe(deletion.id);
      expect(await exporter.metric('cadf_exporter_notifications_sent_total')).toBe(1);
    } finally {
      await exporter.stop();
      await am.stop();
      await hook.close();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 90_000);

  it('Alertmanager down: notifications fail and are counted, every record is still exported and acked', async () => {
    const names = testNames('notify-down');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    // Nothing listens on this port: every POST is refused.
    const port = await freePort();
    const exporter = ExporterProcess.spawn(
      ExporterProcess.envFor(names, receiver.url, {
        CADF_NOTIFY_ALERTMANAGER_URL: `http://127.0.0.1:${port}`,
        CADF_NOTIFY_RULES: JSON.stringify([{ name: 'AnyDeletion', match: { event: 'identity.*.deleted' } }]),
        CADF_NOTIFY_MAX_RETRIES: '1',
      }),
    );
    try {
      await exporter.waitReady();
      const bodies = Array.from({ length: 20 }, () => withNewId(body('quirk-user-deleted-no-initiator.bin')).body);
      await broker.publish(names.exchanges[0]!, bodies);
      await waitFor(() => receiver.accepted.length === 20, 15_000, () => exporter.stderr);
      await waitFor(
        async () => (await exporter.metric('cadf_exporter_notifications_failed_total', { reason: 'network' })) === 20,
        20_000,
        () => exporter.stderr,
      );
      expect(await exporter.metric('cadf_exporter_notifications_sent_total')).toBe(0);
      expect(await exporter.metric('cadf_exporter_records_exported_total')).toBe(20);
      await waitFor(async () => (await exporter.metric('cadf_exporter_inflight_messages')) === 0, 10_000, () => exporter.stderr);
      expect(await broker.messageCount(names.queue)).toBe(0);
      expect(exporter.stderr).toContain('notifications not posted to Alertmanager');

      // Alertmanager comes up on that port: the next deletion is sent.
      const hook = new WebhookReceiver();
      await hook.listen();
      const am = await AlertmanagerProcess.start(webhookConfig(hook.url), port);
      try {
        await broker.publish(names.exchanges[0]!, [withNewId(body('quirk-user-deleted-no-initiator.bin')).body]);
        await waitFor(() => hook.alerts.length === 1, 20_000, () => `${am.stderr}\n${exporter.stderr}`);
        expect(hook.alerts[0]!.labels.alertname).toBe('AnyDeletion');
        expect(await exporter.metric('cadf_exporter_notifications_sent_total')).toBe(1);
      } finally {
        await am.stop();
        await hook.close();
      }
      expect(await exporter.stop()).toBe(0);
    } finally {
      await exporter.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 120_000);
});
