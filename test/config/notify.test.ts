// notify.*: rules are checked at start, naming the rule and the field; a URL with no rules is a
// mistake said so; the Alertmanager URL's password is masked like every other.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { redactConfig } from '../../src/config/redact.js';
import { loadRules } from '../../src/sinks/alertmanager/notifier.js';

const load = (env: Record<string, string>) => loadConfig({ env, defaultFile: '/nonexistent' });

describe('notify config', () => {
  it('is off by default', () => {
    const c = load({});
    expect(c.notify.alertmanagerUrl).toEqual([]);
    expect(c.notify.builtinRules).toBe(false);
    expect(loadRules(c.notify)).toEqual([]);
  });

  it('takes rules from the env as JSON and from a file; a later rule of a name replaces the built-in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadf-rules-'));
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify([{ name: 'FromFile', match: { event: 'identity.group.*' } }]));
    const c = load({
      CADF_NOTIFY_ALERTMANAGER_URL: 'http://am1:9093,http://am2:9093',
      CADF_NOTIFY_BUILTIN_RULES: 'true',
      CADF_NOTIFY_RULES_FILE: file,
      CADF_NOTIFY_RULES: JSON.stringify([{ name: 'KeystoneUserDeleted', severity: 'critical', match: { event: 'identity.user.deleted' } }]),
    });
    expect(c.notify.alertmanagerUrl).toEqual(['http://am1:9093', 'http://am2:9093']);
    const rules = loadRules(c.notify);
    expect(rules.map((r) => r.name)).toEqual(['KeystoneUserDeleted', 'KeystoneProjectDeleted', 'KeystoneAdminRoleGranted', 'KeystoneAccountLocked', 'KeystoneApplicationCredentialCreated', 'FromFile']);
    expect(rules[0]!.severity).toBe('critical');
  });

  it('a bad rule stops the start, naming it', () => {
    expect(() => load({ CADF_NOTIFY_RULES: JSON.stringify([{ name: 'X', match: { evnt: 'a' } }]) })).toThrow(/notify.rules|rule "X": unknown match field "evnt"/);
    expect(() => load({ CADF_NOTIFY_RULES: '{not json' })).toThrow(/notify.rules/);
    expect(() => load({ CADF_NOTIFY_RULES_FILE: '/nonexistent/rules.json' })).toThrow(/notify.rulesFile \/nonexistent\/rules.json cannot be read/);
    expect(() => load({ CADF_NOTIFY_ALERTMANAGER_URL: 'ftp://am' })).toThrow(/notify.alertmanagerUrl/);
  });

  it('an Alertmanager URL with no rule is a mistake', () => {
    expect(() => load({ CADF_NOTIFY_ALERTMANAGER_URL: 'http://am:9093' })).toThrow(/notify.alertmanagerUrl is set but there are no rules/);
  });

  it('masks the password of an Alertmanager URL', () => {
    const c = load({ CADF_NOTIFY_ALERTMANAGER_URL: 'http://u:secret@am:9093', CADF_NOTIFY_BUILTIN_RULES: 'true' });
    expect(JSON.stringify(redactConfig(c))).not.toContain('secret');
  });
});
