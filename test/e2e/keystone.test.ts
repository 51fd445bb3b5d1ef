// End to end: a real Keystone 22 and a real keystonemiddleware audit filter publish to the real
// RabbitMQ (test/e2e/keystone/harness.sh), `cadf-exporter run` consumes as a real process, and
// what reaches the OTLP receiver and /metrics is held to the scenario's stated expectations.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { OtlpReceiver, type ReceivedRecord } from '../support/otlp-receiver.js';
import { AMQP_URL, Broker, testNames } from '../support/rabbit.js';

const run = promisify(execFile);
const HARNESS = join(import.meta.dirname, 'keystone', 'harness.sh');
const env = {
  ...process.env,
  KS_PORT: '5010',
  KSM_PORT: '8784',
  KS_HARNESS_ROOT: mkdtempSync(join(tmpdir(), 'cadf-e2e-')),
  KS_TRANSPORT_URL: AMQP_URL.replace(/^amqp:/, 'rabbit:'),
};

async function harness(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [HARNESS, ...args], { env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** One notification the scenario says it causes (test/e2e/keystone/README.md, "Summary"). */
interface Expected {
  readonly step: string;
  readonly event_type: string;
  readonly outcome: string;
  readonly reasonCode: string | null;
  /** Keystone username / audit name; null = no initiator key; an object = those initiator keys. */
  readonly initiator?: string | null | Record<string, string | null>;
  readonly target?: string;
  readonly subject?: Record<string, string | boolean>;
  readonly action?: string;
  readonly requestPath?: string;
}

interface Summary {
  readonly run_id: string;
  readonly expected: Expected[];
  readonly total: number;
}

/** Keystone's resource names -> the exporter's documented label values (docs/metrics.md). */
const RESOURCE_LABEL: Record<string, string> = { 'OS-TRUST:trust': 'trust', 'project tag': 'project_tag' };

/** The metric samples an expected event must produce, written out from docs/metrics.md. */
function expectedMetrics(e: Expected): Array<[string, Record<string, string>]> {
  const category = e.event_type === 'identity.authenticate' ? 'authentication' : e.event_type.startsWith('audit.') ? 'api' : 'identity';
  const out: Array<[string, Record<string, string>]> = [['cadf_events_total', { category, outcome: e.outcome }]];
  if (category === 'authentication') {
    out.push(['cadf_authentications_total', { outcome: e.outcome, method: 'password', reason_code: e.reasonCode ?? 'none' }]);
  } else if (category === 'identity') {
    const dot = e.event_type.lastIndexOf('.');
    const raw = e.event_type.slice('identity.'.length, dot);
    out.push(['cadf_identity_operations_total', { resource_type: RESOURCE_LABEL[raw] ?? raw, operation: e.event_type.slice(dot + 1), outcome: e.outcome }]);
  } else if (e.event_type === 'audit.http.response') {
    // The taxonomy word of the action; `read/list` is a taxonomy entry of its own.
    const action = e.action === 'read/list' ? 'read/list' : e.action!.split('/')[0]!;
    out.push(['cadf_api_requests_total', { service: 'compute', action, outcome: e.outcome }]);
  }
  return out;
}

/** Does this received record carry what the scenario says of this event? */
function matches(r: ReceivedRecord, e: Expected): boolean {
  const a = r.attributes;
  if (r.eventName !== e.event_type || a['cadf.outcome'] !== e.outcome) return false;
  if ((a['cadf.reason.code'] ?? null) !== e.reasonCode) return false;
  if (a['client.address'] !== undefined && a['client.address'] !== '127.0.0.1') return false;
  if (e.initiator === null) {
    if (a['cadf.initiator.id'] !== undefined || a['user.id'] !== undefined) return false;
  } else if (typeof e.initiator === 'string') {
    if (a['user.name'] !== e.initiator || a['client.address'] !== '127.0.0.1') return false;
  } else if (e.initiator !== undefined) {
    // Initiator keys -> attributes; a null value means the key is absent, so is the attribute.
    const keys: Record<string, string> = { user_name: 'user.name', username: 'user.name', user_id: 'user.id', domain_id: 'openstack.domain.id' };
    for (const [k, want] of Object.entries(e.initiator)) {
      const attr = keys[k];
      if (attr === undefined) throw new Error(`unmapped initiator hint ${k}`);
      if ((a[attr] ?? null) !== want) return false;
    }
  }
  if (e.target !== undefined && a['openstack.resource.id'] !== e.target) return false;
  if (e.subject !== undefined) {
    const s = e.subject;
    const pairs: Array<[string | boolean | undefined, unknown]> = [
      [s.role, a['openstack.role.id']],
      [s.user, a['openstack.assignment.user.id']],
      [s.group, a['openstack.assignment.group.id']],
      [s.project, a['openstack.assignment.project.id']],
      [s.domain, a['openstack.assignment.domain.id']],
      [s.inherited_to_projects, a['openstack.assignment.inherited']],
    ];
    if (pairs.some(([want, got]) => want !== undefined && want !== got)) return false;
  }
  if (e.requestPath !== undefined && a['url.path'] !== e.requestPath.split('?')[0]) return false;
  if (e.action !== undefined && a['cadf.action'] !== e.action) return false;
  return true;
}

describe('end to end with a real Keystone and keystonemiddleware', () => {
  const names = testNames('e2e');
  const receiver = new OtlpReceiver();
  let exporter: ExporterProcess;
  let broker: Broker;
  // The same events read from the services' log files (Keystone plain, the audit filter JSON), by
  // a second exporter with no broker at all, into a receiver of its own.
  const fileReceiver = new OtlpReceiver();
  let fileExporter: ExporterProcess;
  let firstRun: { summary: Summary; records: ReceivedRecord[] } | undefined;
  let stateDir = '';

  beforeAll(async () => {
    await harness('install');
    await harness('start');
    await receiver.listen();
    broker = await Broker.connect();
    // Names are looked up with the harness's service application credential: its logins emit no
    // event, so the scenario's counts stay exact.
    const state = readFileSync(join(env.KS_HARNESS_ROOT, 'current'), 'utf8').trim();
    stateDir = state;
    const setup = JSON.parse(readFileSync(join(state, 'setup.json'), 'utf8')) as { app_cred_id: string; app_cred_secret: string };
    // Bound after `start`: the bootstrap's own events are not part of a scenario.
    exporter = ExporterProcess.spawn({
      ...ExporterProcess.envFor({ ...names, exchanges: ['keystone', 'openstack'] }, receiver.url),
      CADF_EXPORT_BATCH_DELAY_MS: '50',
      CADF_KEYSTONE_URL: `http://127.0.0.1:${env.KS_PORT}/v3`,
      CADF_KEYSTONE_APPLICATION_CREDENTIAL_ID: setup.app_cred_id,
      CADF_KEYSTONE_APPLICATION_CREDENTIAL_SECRET: setup.app_cred_secret,
      CADF_LOOKUP_WAIT_MS: '2000',
    });
    await exporter.waitReady();
    await fileReceiver.listen();
    fileExporter = ExporterProcess.spawn({
      ...ExporterProcess.envFor(testNames('e2e-file'), fileReceiver.url),
      CADF_SOURCES: 'file',
      CADF_FILE_PATHS: `${state}/keystone.log,${state}/ksm.log`,
      // Like the queue bound after `start`: the bootstrap's events are not part of a scenario.
      CADF_FILE_START_AT: 'end',
      CADF_EXPORT_BATCH_DELAY_MS: '50',
      CADF_KEYSTONE_URL: `http://127.0.0.1:${env.KS_PORT}/v3`,
      CADF_KEYSTONE_APPLICATION_CREDENTIAL_ID: setup.app_cred_id,
      CADF_KEYSTONE_APPLICATION_CREDENTIAL_SECRET: setup.app_cred_secret,
      CADF_LOOKUP_WAIT_MS: '2000',
    });
    await fileExporter.waitReady();
  }, 360_000);

  afterAll(async () => {
    await exporter?.stop();
    await fileExporter?.stop();
    await fileReceiver.close();
    await harness('stop').catch(() => undefined);
    await broker?.cleanup({ ...names, exchanges: [] });
    await receiver.close();
  }, 60_000);

  async function scenario(): Promise<{ summary: Summary; records: ReceivedRecord[] }> {
    const before = receiver.accepted.length;
    const summary = JSON.parse(await harness('scenario')) as Summary;
    await waitFor(() => receiver.accepted.length - before >= summary.total, 30_000, () => `${receiver.accepted.length - before}/${summary.total} arrived`);
    await waitFor(async () => (await exporter.metric('cadf_exporter_inflight_messages')) === 0, 10_000, () => 'unacked');
    return { summary, records: receiver.accepted.slice(before) };
  }

  async function snapshot(keys: Iterable<string>): Promise<Map<string, number>> {
    const m = new Map<string, number>();
    for (const k of keys) {
      const [name, labels] = JSON.parse(k) as [string, Record<string, string>];
      m.set(k, await exporter.metric(name, labels));
    }
    return m;
  }

  let firstDeltas: Map<string, number> | undefined;

  it('every event of the scenario arrives once, with the right user, address, resource and outcome; metrics match exactly', async () => {
    const { summary, records } = (firstRun = await scenario());
    expect(records).toHaveLength(summary.total);
    expect(summary.total).toBeGreaterThanOrEqual(100);

    const unused = [...records];
    const missing: Expected[] = [];
    for (const e of summary.expected) {
      const i = unused.findIndex((r) => matches(r, e));
      if (i < 0) missing.push(e);
      else unused.splice(i, 1);
    }
    expect(missing, `events without a matching record:\n${JSON.stringify(missing, null, 1)}`).toEqual([]);
    expect(unused).toEqual([]);
    expect(new Set(records.map((r) => r.attributes['log.record.uid'])).size).toBe(records.length);

    // The shapes the issue names: no initiator, and failed logins of each kind.
    expect(summary.expected.filter((e) => e.initiator === null).length).toBeGreaterThan(3);
    const failedLogins = records.filter((r) => r.eventName === 'identity.authenticate' && r.attributes['cadf.outcome'] === 'failure');
    expect(failedLogins.map((r) => r.attributes['cadf.reason.code'] ?? 'none').sort()).toEqual(
      summary.expected.filter((e) => e.event_type === 'identity.authenticate' && e.outcome === 'failure').map((e) => e.reasonCode ?? 'none').sort(),
    );
    expect(failedLogins.every((r) => r.severityText === 'WARN')).toBe(true);

    const want = new Map<string, number>();
    for (const e of summary.expected) {
      for (const [name, labels] of expectedMetrics(e)) {
        const k = JSON.stringify([name, labels]);
        want.set(k, (want.get(k) ?? 0) + 1);
      }
    }
    const got = await snapshot(want.keys());
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
    expect(await exporter.metric('cadf_events_total')).toBe(summary.total);
    expect(await exporter.metric('cadf_exporter_dead_letters_total')).toBe(0);
    firstDeltas = want;

    // Name memory: every deleted user and project is named in the record of its deletion,
    // though Keystone's deletion event carries only its id (and often no initiator).
    const deletions = records.filter((r) => r.eventName === 'identity.user.deleted' || r.eventName === 'identity.project.deleted');
    expect(deletions.length).toBe(summary.expected.filter((e) => e.event_type === 'identity.user.deleted' || e.event_type === 'identity.project.deleted').length);
    for (const d of deletions) {
      const name = d.attributes['openstack.resource.name'];
      expect(name, JSON.stringify(d.attributes)).toEqual(expect.stringContaining(summary.run_id));
      expect(d.body).toContain(`${String(name)} (${String(d.attributes['openstack.resource.id'])})`);
    }
    expect(await exporter.metric('cadf_exporter_name_lookups_total', { result: 'found' })).toBeGreaterThan(0);
  }, 120_000);

  it('the log files give the same records and the same metrics as the queue (oslo log driver, plain and JSON lines)', async () => {
    expect(firstRun).toBeDefined();
    const { summary, records } = firstRun!;
    const uids = new Set(records.map((r) => String(r.attributes['log.record.uid'])));
    await waitFor(
      () => fileReceiver.accepted.filter((r) => uids.has(String(r.attributes['log.record.uid']))).length >= summary.total,
      30_000,
      () => `${fileReceiver.accepted.length}/${summary.total} from the files\n${fileExporter.stderr.slice(-3000)}`,
    );
    // Both line formats were really read: Keystone's plain oslo.log lines, the audit filter's JSON.
    const firstNotification = (file: string): string =>
      readFileSync(join(stateDir, file), 'utf8').split('\n').find((l) => l.includes('oslo.messaging.notification.'))!;
    expect(firstNotification('keystone.log')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ INFO oslo\.messaging\.notification\.identity\./);
    expect(JSON.parse(firstNotification('ksm.log'))).toHaveProperty('name', expect.stringMatching(/^oslo\.messaging\.notification\.audit\.http\./));
    const fromFiles = new Map(fileReceiver.accepted.map((r) => [String(r.attributes['log.record.uid']), r]));
    expect(fileReceiver.accepted).toHaveLength(summary.total); // once each, nothing else
    // The one attribute only the queue can carry: the exchange a message came through.
    const queueOnly = new Set(['openstack.exchange']);
    const differences: string[] = [];
    for (const q of records) {
      const f = fromFiles.get(String(q.attributes['log.record.uid']));
      if (f === undefined) {
        differences.push(`${q.eventName}: not read from the files`);
        continue;
      }
      if (f.eventName !== q.eventName || f.body !== q.body || f.severityText !== q.severityText || f.timeUnixNano !== q.timeUnixNano) {
        differences.push(`${q.eventName}: event name, body, severity or time differ`);
      }
      for (const k of new Set([...Object.keys(q.attributes), ...Object.keys(f.attributes)])) {
        if (queueOnly.has(k)) continue;
        if (JSON.stringify(q.attributes[k]) !== JSON.stringify(f.attributes[k])) differences.push(`${q.eventName} ${k}: queue ${JSON.stringify(q.attributes[k])}, file ${JSON.stringify(f.attributes[k])}`);
      }
    }
    expect(differences).toEqual([]);
    // The same totals on /metrics for the same scenario.
    for (const k of firstDeltas!.keys()) {
      const [name, labels] = JSON.parse(k) as [string, Record<string, string>];
      expect(await fileExporter.metric(name, labels), k).toBe(firstDeltas!.get(k));
    }
    expect(await fileExporter.metric('cadf_exporter_dead_letters_total')).toBe(0);
  }, 60_000);

  it('runs again with the same counts (the harness is repeatable)', async () => {
    expect(firstDeltas).toBeDefined();
    const before = await snapshot(firstDeltas!.keys());
    const { summary, records } = await scenario();
    expect(records).toHaveLength(summary.total);
    const after = await snapshot(firstDeltas!.keys());
    for (const [k, n] of firstDeltas!) expect(after.get(k)! - before.get(k)!, k).toBe(n);
  }, 120_000);
});
