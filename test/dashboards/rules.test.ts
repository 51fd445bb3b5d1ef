// The alert rules: promtool checks the Prometheus rule files and runs their unit tests (every
// alert firing and not firing); every alert, Prometheus or Loki, carries a severity, a summary, a
// description and a runbook that exists.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { ADMIN_ROLE } from '../../src/simulate/world.js';
import { ALERT_DIR, LOKI_RULE_DIR, ROOT, ruleFilesIn, rules } from './queries.js';

const run = promisify(execFile);
const TEST_DIR = join(ALERT_DIR, 'tests');
const promRules = rules(ALERT_DIR);
const lokiRules = rules(LOKI_RULE_DIR);
const alerts = promRules.filter((r) => r.alert !== undefined);

async function promtool(args: string[], cwd = ROOT): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd, timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('promtool not found: install Debian\'s prometheus package (bash scripts/ci-deps.sh)');
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

/** Which alerts each promtool test file expects to fire, and not to fire. */
function unitTestCoverage(): { firing: Set<string>; silent: Set<string> } {
  const firing = new Set<string>();
  const silent = new Set<string>();
  for (const f of readdirSync(TEST_DIR).filter((x) => x.endsWith('.yaml'))) {
    const doc = parseYaml(readFileSync(join(TEST_DIR, f), 'utf8')) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
    };
    for (const t of doc.tests) {
      for (const a of t.alert_rule_test ?? []) ((a.exp_alerts ?? []).length > 0 ? firing : silent).add(a.alertname);
    }
  }
  return { firing, silent };
}

describe('Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    const files = ruleFilesIn(ALERT_DIR);
    expect(files.length).toBeGreaterThanOrEqual(2);
    const r = await promtool(['check', 'rules', ...files]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
  });

  it('pass their promtool unit tests', async () => {
    const files = readdirSync(TEST_DIR).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const r = await promtool(['test', 'rules', ...files], TEST_DIR);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toContain('FAILED');
  });

  it('a unit test that expects the wrong thing fails (the tests can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadf-promtool-'));
    const doc = parseYaml(readFileSync(join(TEST_DIR, 'cadf-keystone.test.yaml'), 'utf8')) as { rule_files: string[]; tests: Array<{ name: string; alert_rule_test?: Array<{ exp_alerts: unknown[] }> }> };
    doc.rule_files = doc.rule_files.map((f) => join(TEST_DIR, f));
    const burst = doc.tests.filter((t) => t.name === 'burst fires and clears');
    expect(burst).toHaveLength(1);
    // At 15 minutes the burst has left the window: expecting the alert there must fail.
    burst[0]!.alert_rule_test![2]!.exp_alerts = burst[0]!.alert_rule_test![1]!.exp_alerts;
    doc.tests = burst;
    writeFileSync(join(dir, 'wrong.yaml'), stringify(doc));
    const r = await promtool(['test', 'rules', 'wrong.yaml'], dir);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('FAILED');
  });

  it('have unit tests for every alert, firing and not firing', () => {
    const { firing, silent } = unitTestCoverage();
    for (const a of alerts) {
      expect(firing.has(a.alert!), `${a.alert} never expected to fire`).toBe(true);
      expect(silent.has(a.alert!), `${a.alert} never expected to stay silent`).toBe(true);
    }
  });

  it('are the alerts the dashboards and docs speak of, each with a for', () => {
    const names = alerts.map((a) => a.alert);
    for (const n of [
      'KeystoneAuthFailureRatioHigh',
      'KeystoneAuthFailureRateHigh',
      'KeystoneAuthFailureBurst',
      'KeystoneSilent',
      'CadfExporterDown',
      'CadfExporterNoEvents',
      'CadfExporterDeadLetters',
      'CadfExporterExportFailing',
      'CadfExporterLagHigh',
    ]) {
      expect(names).toContain(n);
    }
    for (const a of alerts) expect(a.for, a.alert).toMatch(/^\d+[smh]$/);
    // Recording rules an alert uses are defined.
    const recorded = new Set(promRules.flatMap((r) => (r.record !== undefined ? [r.record] : [])));
    for (const a of alerts) {
      for (const m of a.expr.matchAll(/\b([a-z_]+:[a-z0-9_]+:[a-z0-9_]+)\b/g)) expect(recorded.has(m[1]!), `${a.alert}: ${m[1]}`).toBe(true);
    }
  });

  it('the ratio alert is guarded against low volume', () => {
    const ratio = alerts.find((a) => a.alert === 'KeystoneAuthFailureRatioHigh')!;
    expect(ratio.expr).toMatch(/and on \(job, cloud_region\) job_region:cadf_authentications:rate5m > /);
  });
});

describe.each([
  ['Prometheus', alerts],
  ['Loki', lokiRules.filter((r) => r.alert !== undefined)],
] as const)('%s alerts', (_kind, list) => {
  const runbooks = readFileSync(join(ROOT, 'docs', 'runbooks.md'), 'utf8');
  const anchors = new Set([...runbooks.matchAll(/^## (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));

  it.each(list.map((a) => [a.alert!, a] as const))('%s has a severity, summary, description and a runbook that exists', (name, a) => {
    expect(name).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(['critical', 'warning', 'info']).toContain(a.labels?.severity);
    expect(a.annotations?.summary, name).toBeTruthy();
    expect(a.annotations?.description?.length ?? 0, name).toBeGreaterThan(60);
    const url = a.annotations?.runbook_url ?? '';
    expect(url).toBe(`docs/runbooks.md#${name.toLowerCase()}`);
    expect(anchors.has(name.toLowerCase()), `docs/runbooks.md has no "## ${name}"`).toBe(true);
  });
});

describe('Loki rules', () => {
  it('cover admin grants, user deletions and locked accounts', () => {
    const byName = new Map(lokiRules.map((r) => [r.alert, r.expr]));
    expect(byName.get('KeystoneAdminRoleGranted')).toMatch(/event_name="identity\.role_assignment\.created"[\s\S]*openstack_role_name[\s\S]*openstack_role_id/);
    expect(byName.get('KeystoneUserDeleted')).toContain('event_name="identity.user.deleted"');
    // The docker compose demo's simulator grants this admin role id now and then.
    expect(byName.get('KeystoneAdminRoleGranted')).toContain(`openstack_role_id=~"${ADMIN_ROLE.id}"`);
    expect(byName.get('KeystoneAccountLocked')).toMatch(/cadf_reason_code="401"[\s\S]*cadf_reason_type=~"\(\?i\)\.\*locked\.\*"/);
  });
});
