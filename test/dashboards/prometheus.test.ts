import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The dashboards and alert rules against real data: the real exporter (RabbitMQ, a flaky OTLP
// receiver, a Keystone that answers 503) fed by `cadf-exporter simulate`, the real captures and a
// few poison messages, scraped every second by a real Prometheus loading dashboards/alerts/.
// Every PromQL expression of the dashboards, their variables and the rules must parse and return
// data; the alerts the traffic should trip must be pending or firing; and when the exporter
// stops, CadfExporterDown's expression must see it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { stream } from '../support/messages.js';
import { cases } from '../support/testdata.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { AMQP_URL, Broker, testNames } from '../support/rabbit.js';
import { TestDatabase } from '../support/sql.js';
import { PrometheusProcess, testConfig } from './prometheus.js';
import { ALERT_DIR, dashboardExprs, rules, substitute, variableExprs } from './queries.js';

/** Alerts the simulated traffic (half the logins failing, bursts, poison, a flaky endpoint) trips. */
// With Keystone down, deletions of users no event named go out unnamed.
const TRIPPED = ['KeystoneAuthFailureRatioHigh', 'KeystoneAuthFailureRateHigh', 'KeystoneAuthFailureBurst', 'CadfExporterDeadLetters', 'CadfExporterExportFailing', 'CadfExporterDeletionsUnnamed'];

const names = testNames('dash');
const receiver = new OtlpReceiver();
const alertRules = rules(ALERT_DIR);
let keystone: Server;
let broker: Broker;
let exporter: ExporterProcess;
let prometheus: PrometheusProcess;
let simulated = '';
let store: TestDatabase;

async function nonEmpty(expr: string): Promise<number> {
  return (await prometheus.query(expr)).length;
}

beforeAll(async () => {
  // The log backend fails every third export request (HTTP 500: retried by the exporter).
  let requests = 0;
  receiver.respond = () => ({ status: ++requests % 3 === 0 ? 500 : 200 });
  await receiver.listen();
  // A Keystone that is down: name lookups are attempted and counted as errors.
  keystone = createServer((_req, res) => res.writeHead(503).end());
  await new Promise<void>((resolve) => keystone.listen(0, '127.0.0.1', resolve));
  broker = await Broker.connect();
  // A shared name store, so the store's alert has its series.
  store = await TestDatabase.create('mysql');
  // A log file beside the queue (CADF_SOURCES=both), so the file source's panels have their series:
  // one notification line and one that is not (skipped).
  const logDir = mkdtempSync(join(tmpdir(), 'cadf-prom-logs-'));
  const fileLine = JSON.stringify(JSON.parse(stream(1)[0]!.body.toString()));
  writeFileSync(join(logDir, 'keystone.log'), `2026-12-02 10:00:00.000 1234 INFO keystone.server [-] Starting Keystone\n${fileLine}\n`);
  exporter = ExporterProcess.spawn(
    ExporterProcess.envFor(names, receiver.url, {
      CADF_ENRICH_STORE_URL: store.url,
      CADF_KEYSTONE_URL: `http://127.0.0.1:${(keystone.address() as AddressInfo).port}/v3`,
      CADF_KEYSTONE_USERNAME: 'reader',
      CADF_KEYSTONE_PASSWORD: 'secret',
      CADF_LOOKUP_WAIT_MS: '20',
      OTEL_RESOURCE_ATTRIBUTES: 'cloud.region=RegionOne',
      CADF_SOURCES: 'both',
      CADF_FILE_PATHS: join(logDir, '*.log'),
    }),
  );
  await exporter.waitReady();
  prometheus = await PrometheusProcess.start(testConfig(`127.0.0.1:${exporter.metricsPort}`));

  // Undecodable messages, twice (the dead-letter rule sees a new series, then growth).
  const poison = [Buffer.from('not json'), Buffer.from('{"oslo.version": "2.0", "oslo.message": "{}"}')];
  await broker.publish(names.exchanges[0]!, poison);
  // Every real capture once (fresh ids): the rare cases for sure (an API call that raised, an
  // expired password, federated logins), besides the simulated mix.
  const samples = stream(cases('samples').length);
  await broker.publish(names.exchanges[0]!, samples.filter((m) => m.keystone).map((m) => m.body));
  await broker.publish(names.exchanges[1]!, samples.filter((m) => !m.keystone).map((m) => m.body));
  const io = { stdout: () => undefined, stderr: (t: string) => void (simulated += t), readStdin: () => Promise.resolve(Buffer.alloc(0)) };
  const code = await main(
    [
      'simulate', '--amqp-url', AMQP_URL, '--rate', '150', '--duration', '12', '--failure-ratio', '0.5', '--api-failure-ratio', '0.3',
      '--burst-every', '4', '--burst-size', '40', '--exchange-keystone', names.exchanges[0]!, '--exchange-api', names.exchanges[1]!,
      '--seed', '20261123', '--progress-every', '0',
    ],
    io,
  );
  expect(code, simulated).toBe(0);
  await broker.publish(names.exchanges[1]!, poison);
  await waitFor(
    async () => (await broker.messageCount(names.queue)) === 0 && (await exporter.metric('cadf_exporter_inflight_messages')) === 0,
    30_000,
    () => `the exporter did not drain its queue\n${exporter.stderr.slice(-2000)}`,
  );
  // Prometheus has scraped the final state and evaluated the rules on it.
  const exported = await exporter.metric('cadf_exporter_records_exported_total');
  await waitFor(
    async () => Number((await prometheus.query('max(cadf_exporter_records_exported_total)'))[0]?.value[1] ?? 0) >= exported &&
      (await nonEmpty('instance:cadf_exporter_dead_letters:increase15m')) > 0,
    15_000,
    () => `Prometheus did not catch up\n${prometheus.stderr}`,
  );
  await new Promise((r) => setTimeout(r, 2500));
}, 90_000);

afterAll(async () => {
  await exporter?.stop();
  await store?.drop();
  await prometheus?.stop();
  await broker?.cleanup(names);
  await receiver.close();
  await new Promise<void>((resolve) => (keystone ? keystone.close(() => resolve()) : resolve()));
});

describe('the dashboards and rules against a real Prometheus', () => {
  it('the traffic had everything the panels show', async () => {
    // Bursts at 4 s and 8 s of the 12 s run.
    expect(simulated).toMatch(/bursts 2 \(80 failed logins\)/);
    expect(await exporter.metric('cadf_exporter_messages_received_total', { result: 'invalid' })).toBe(4);
    expect(await exporter.metric('cadf_exporter_export_failures_total')).toBeGreaterThan(0);
    expect(await exporter.metric('cadf_exporter_name_lookups_total')).toBeGreaterThan(0);
    expect(receiver.accepted.length).toBeGreaterThan(1500);
  });

  it('every PromQL expression of the dashboards parses and returns data', async () => {
    const exprs = [...dashboardExprs('prometheus'), ...variableExprs()];
    expect(exprs.length).toBeGreaterThan(50);
    const empty: string[] = [];
    for (const e of exprs) if ((await nonEmpty(substitute(e.expr))) === 0) empty.push(`${e.source}: ${e.expr}`);
    expect(empty).toEqual([]);
  });

  it('every recording rule returns data and every rule evaluates without error', async () => {
    const empty: string[] = [];
    for (const r of alertRules.filter((x) => x.record !== undefined)) {
      if ((await nonEmpty(r.expr)) === 0) empty.push(r.record!);
      if ((await nonEmpty(r.record!)) === 0) empty.push(`${r.record!} (not recorded)`);
    }
    expect(empty).toEqual([]);
    const states = await prometheus.rules();
    expect(states.length).toBe(alertRules.length);
    for (const s of states) expect([s.name, s.health, s.lastError ?? ''], s.query).toEqual([s.name, 'ok', '']);
  });

  it('the alerts the traffic should trip are pending or firing; the others have data to watch', async () => {
    const states = new Map((await prometheus.rules()).filter((s) => s.type === 'alerting').map((s) => [s.name, s.state]));
    for (const a of alertRules.filter((x) => x.alert !== undefined)) {
      if (TRIPPED.includes(a.alert!)) {
        expect(await nonEmpty(a.expr), `${a.alert} should see the traffic`).toBeGreaterThan(0);
        expect(['pending', 'firing'], a.alert).toContain(states.get(a.alert!));
        continue;
      }
      expect(states.get(a.alert!), a.alert).toBe('inactive');
      // What it compares: the recording rules it uses, else its left-hand side.
      const recorded = [...a.expr.matchAll(/\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b/g)].map((m) => m[0]);
      const signals = recorded.length > 0 ? recorded : [/^(.*?)\s*(==|!=|>=|<=|>|<)/.exec(a.expr)![1]!];
      for (const s of signals) expect(await nonEmpty(s), `${a.alert}: ${s}`).toBeGreaterThan(0);
    }
  });

  it('CadfExporterDown sees the exporter stop', async () => {
    const down = alertRules.find((a) => a.alert === 'CadfExporterDown')!;
    expect(await nonEmpty(down.expr)).toBe(0);
    await exporter.stop();
    await waitFor(async () => (await nonEmpty(down.expr)) > 0, 10_000, () => 'up == 0 never seen');
    const samples = await prometheus.query(down.expr);
    expect(samples[0]!.metric).toMatchObject({ job: 'cadf-exporter', instance: `127.0.0.1:${exporter.metricsPort}`, cloud_region: 'RegionOne' });
  });
});
