import { describe, expect, it } from 'vitest';
import { decode, toRecord, type LogRecordData } from '../../../src/cadf/index.js';
import { buildAlert } from '../../../src/sinks/alertmanager/alert.js';
import { BUILTIN_RULES } from '../../../src/sinks/alertmanager/builtin.js';
import { CompiledRule, globToRegExp, matchingRules, parseRules } from '../../../src/sinks/alertmanager/rules.js';
import { cases } from '../../support/testdata.js';

function record(name: string, dir = 'samples'): LogRecordData {
  const c = cases(dir).find((x) => x.name === name);
  if (c === undefined) throw new Error(`no case ${name}`);
  const d = decode(c.body, { exchange: 'keystone' });
  if (!d.ok) throw new Error(d.error.message);
  return toRecord(d.event);
}

const builtins = BUILTIN_RULES.map((r) => new CompiledRule(r));
const hits = (r: LogRecordData): string[] => matchingRules(builtins, r).map((c) => c.rule.name);

describe('globs', () => {
  it('match the whole value, * and ? only', () => {
    expect(globToRegExp('identity.*.deleted').test('identity.user.deleted')).toBe(true);
    expect(globToRegExp('identity.*.deleted').test('identity.user.deleted.x')).toBe(false);
    expect(globToRegExp('svc-?').test('svc-a')).toBe(true);
    expect(globToRegExp('svc-?').test('svc-ab')).toBe(false);
    // Regex characters are literal.
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('(x)+').test('(x)+')).toBe(true);
  });
});

describe('built-in rules', () => {
  it('a user deletion matches KeystoneUserDeleted only', () => {
    expect(hits(record('quirk-user-deleted-no-initiator.bin', 'cornercases'))).toEqual(['KeystoneUserDeleted']);
  });

  it('a user creation, a login and an API call match none', () => {
    expect(hits(record('keystone-user-created-global-request-id.json'))).toEqual([]);
    expect(hits(record('keystone-doc-authenticate-success.json'))).toEqual([]);
    expect(hits(record('audit-image-delete-403-response.json'))).toEqual([]);
  });

  it('an expired password is not a locked account', () => {
    expect(hits(record('keystone-authenticate-failure-password-expired.json'))).toEqual([]);
  });

  it('a role grant matches only when the role is admin (by name)', () => {
    const grant = record('keystone-role-assignment-created-group-project.json');
    expect(hits(grant)).toEqual([]);
    const admin: LogRecordData = { ...grant, attributes: { ...grant.attributes, 'openstack.role.name': 'admin' } };
    expect(hits(admin)).toEqual(['KeystoneAdminRoleGranted']);
  });
});

describe('user rules', () => {
  it('match initiator and target by name or id, every field given must match', () => {
    const [rule] = parseRules([{ name: 'Svc', severity: 'critical', match: { event: 'identity.user.*', target: ['grace', '7ec4*'], initiator: 'nobody' } }], 'test');
    const r = record('keystone-user-created-global-request-id.json');
    expect(new CompiledRule(rule!).matches(r)).toBe(false);
    const [any] = parseRules([{ name: 'Svc', match: { event: 'identity.user.*', target: '7ec4*', initiator: 'admin' } }], 'test');
    expect(new CompiledRule(any!).matches(r)).toBe(true);
    expect(any!.severity).toBe('warning');
  });

  it('bad rules are refused, naming the rule and the field', () => {
    expect(() => parseRules({}, 'notify.rules')).toThrow(/JSON array/);
    expect(() => parseRules([{ name: 'a.b', match: { event: 'x' } }], 'notify.rules')).toThrow(/entry 0: "name"/);
    expect(() => parseRules([{ name: 'A', match: {} }], 'notify.rules')).toThrow(/rule "A": "match"/);
    expect(() => parseRules([{ name: 'A', match: { user: 'x' } }], 'notify.rules')).toThrow(/unknown match field "user"/);
    expect(() => parseRules([{ name: 'A', severity: 'page', match: { event: 'x' } }], 'notify.rules')).toThrow(/severity/);
    expect(() => parseRules([{ name: 'A', match: { event: 'x' } }, { name: 'A', match: { event: 'y' } }], 'notify.rules')).toThrow(/used twice/);
  });
});

describe('the alert', () => {
  it('has routing labels and annotations a person can read', () => {
    const r = record('keystone-user-created-global-request-id.json');
    const [rule] = parseRules([{ name: 'UserCreated', severity: 'info', summary: 'A user was created.', match: { event: 'identity.user.created' } }], 't');
    const now = Date.parse('2026-11-23T00:05:00Z');
    const a = buildAlert(rule!, r, { region: 'RegionOne', resolveAfterSeconds: 3600, nowMs: now });
    expect(a.labels).toEqual({
      alertname: 'UserCreated',
      severity: 'info',
      event: 'identity.user.created',
      resource_type: 'user',
      cloud_region: 'RegionOne',
      record_uid: '494d2012-36a5-42de-a90c-2da70f84ea42',
    });
    for (const k of Object.keys(a.labels)) expect(k).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
    expect(a.annotations).toEqual({
      summary: 'A user was created.',
      description: r.body,
      who: 'admin (bf99d64629c04671904ab56d7b04a938)',
      from: '127.0.0.1',
      when: '2026-11-23T00:04:10.580069Z',
      project: '10403d9b732b48edb4c8eb1619090bf5',
      log_record_uid: '494d2012-36a5-42de-a90c-2da70f84ea42',
      loki_query: '{service_name=~".+"} | log_record_uid="494d2012-36a5-42de-a90c-2da70f84ea42"',
    });
    expect(a.startsAt).toBe('2026-11-23T00:04:10.580069Z');
    expect(a.endsAt).toBe('2026-11-23T01:05:00.000Z');
  });

  it('has no cloud_region label without a region, and never starts in the future', () => {
    const r = record('keystone-user-created-global-request-id.json');
    const [rule] = parseRules([{ name: 'U', match: { event: '*' } }], 't');
    const now = Date.parse('2020-01-01T00:00:00Z');
    const a = buildAlert(rule!, r, { region: '', resolveAfterSeconds: 60, nowMs: now });
    expect(a.labels.cloud_region).toBeUndefined();
    expect(a.startsAt).toBe('2020-01-01T00:00:00.000Z');
  });
});
