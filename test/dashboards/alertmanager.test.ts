// The Prometheus rules reach a person: a real Prometheus loading dashboards/alerts/ with
// deploy/prometheus/prometheus.yml's alerting section, pointed at a real Alertmanager that
// notifies the test's webhook. A real exporter whose own Alertmanager URL refuses every POST
// trips CadfExporterNotificationsDropped, and the notification of it arrives.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertmanagerProcess, webhookConfig, WebhookReceiver } from '../support/alertmanager.js';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { withNewId } from '../support/messages.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { Broker, testNames } from '../support/rabbit.js';
import { cases } from '../support/testdata.js';
import { freePort, PrometheusProcess, testConfig } from './prometheus.js';
import { ALERT_DIR } from './queries.js';

/**
 * The rule files with every `for:` set to 0s: what is tested here is the route from a firing
 * rule to a notification; each rule's timing has its promtool unit tests.
 */
function rulesWithoutFor(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cadf-rules-'));
  for (const f of readdirSync(ALERT_DIR).filter((x) => x.endsWith('.yaml'))) {
    writeFileSync(join(dir, f), readFileSync(join(ALERT_DIR, f), 'utf8').replace(/^(\s+)for: \d+[smh]$/gm, '$1for: 0s'));
  }
  return dir;
}

describe('Prometheus alerts through Alertmanager', () => {
  it('CadfExporterNotificationsDropped fires in Prometheus and reaches the webhook', async () => {
    const names = testNames('am-prom');
    const hook = new WebhookReceiver();
    await hook.listen();
    const am = await AlertmanagerProcess.start(webhookConfig(hook.url));
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const exporter = ExporterProcess.spawn(
      ExporterProcess.envFor(names, receiver.url, {
        CADF_NOTIFY_ALERTMANAGER_URL: `http://127.0.0.1:${await freePort()}`,
        CADF_NOTIFY_BUILTIN_RULES: 'true',
        CADF_NOTIFY_MAX_RETRIES: '0',
      }),
    );
    const ruleDir = rulesWithoutFor();
    let prometheus: PrometheusProcess | undefined;
    try {
      await exporter.waitReady();
      prometheus = await PrometheusProcess.start(testConfig(`127.0.0.1:${exporter.metricsPort}`, `127.0.0.1:${am.port}`, ruleDir));
      // A first scrape with the counters at 0, so increase() sees them grow.
      await waitFor(async () => (await prometheus!.query('cadf_exporter_notifications_failed_total')).length > 0, 20_000, () => prometheus!.stderr);
      const deleted = cases('cornercases').find((c) => c.name === 'quirk-user-deleted-no-initiator.bin')!.body.toString();
      await broker.publish(names.exchanges[0]!, [withNewId(deleted).body]);
      await waitFor(async () => (await exporter.metric('cadf_exporter_notifications_failed_total')) === 1, 15_000, () => exporter.stderr);
      await waitFor(
        () => hook.alerts.some((a) => a.labels.alertname === 'CadfExporterNotificationsDropped'),
        30_000,
        () => `no notification:\n${JSON.stringify(hook.messages)}\n${am.stderr}\n${prometheus!.stderr}`,
      );
      const alert = hook.alerts.find((a) => a.labels.alertname === 'CadfExporterNotificationsDropped')!;
      expect(alert.status).toBe('firing');
      expect(alert.labels).toMatchObject({ severity: 'warning', job: 'cadf-exporter', cloud_region: 'RegionOne' });
      expect(alert.annotations.summary).toBe('Event notifications did not reach Alertmanager.');
      expect(alert.annotations.runbook_url).toBe('docs/runbooks.md#cadfexporternotificationsdropped');
    } finally {
      await prometheus?.stop();
      await exporter.stop();
      await am.stop();
      await hook.close();
      await broker.cleanup(names);
      await receiver.close();
      rmSync(ruleDir, { recursive: true, force: true });
    }
  }, 120_000);
});
