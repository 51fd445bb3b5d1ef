import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { BasicAuth, parseBasic } from '../../src/server/auth.js';
import { loadWebConfig, parseWebConfig, WebConfigError } from '../../src/server/web-config.js';
import { makePki } from '../support/pki.js';

const pki = makePki('cadf-webcfg');
const dir = mkdtempSync(join(tmpdir(), 'cadf-webcfg-'));
const HASH = bcrypt.hashSync('pw', 4);
afterAll(() => pki.remove());

function problem(doc: unknown): string {
  try {
    parseWebConfig(doc, pki.dir, 'web.yml');
  } catch (err) {
    expect(err).toBeInstanceOf(WebConfigError);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('parseWebConfig', () => {
  it('reads TLS, client auth, versions, headers and users; paths relative to the file', () => {
    const c = parseWebConfig(
      {
        tls_server_config: { cert_file: 'server.crt', key_file: pki.serverKey, client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: 'ca.crt', min_version: 'TLS13' },
        http_server_config: { headers: { 'strict-transport-security': 'max-age=31536000' } },
        basic_auth_users: { alice: HASH },
      },
      pki.dir,
    );
    expect(c.tls?.cert).toContain('BEGIN CERTIFICATE');
    expect(c.tls?.key).toContain('PRIVATE KEY');
    expect(c.tls?.ca).toContain('BEGIN CERTIFICATE');
    expect(c.tls?.clientAuthType).toBe('RequireAndVerifyClientCert');
    expect([c.tls?.minVersion, c.tls?.maxVersion]).toEqual(['TLSv1.3', 'TLSv1.3']);
    expect(c.headers).toEqual({ 'Strict-Transport-Security': 'max-age=31536000' });
    expect(c.users.get('alice')).toBe(HASH);
  });

  it('defaults: no TLS, no users, TLS 1.2 to 1.3, NoClientCert', () => {
    expect(parseWebConfig({}, pki.dir)).toEqual({ tls: undefined, users: new Map(), headers: {} });
    const c = parseWebConfig({ tls_server_config: { cert_file: pki.serverCert, key_file: pki.serverKey } }, pki.dir);
    expect([c.tls?.minVersion, c.tls?.maxVersion, c.tls?.clientAuthType]).toEqual(['TLSv1.2', 'TLSv1.3', 'NoClientCert']);
  });

  it('names the key and the fix', () => {
    expect(problem({ basic_auth_user: {} })).toMatch(/^web\.yml: basic_auth_user: unknown key .*web-configuration\.md/);
    expect(problem({ tls_server_config: { cert_file: pki.serverCert, key_file: pki.serverKey, certfile: 'x' } })).toMatch(/tls_server_config\.certfile: unknown key/);
    expect(problem({ tls_server_config: { cert_file: 'missing.crt', key_file: pki.serverKey } })).toMatch(/tls_server_config\.cert_file: cannot read .*missing\.crt: ENOENT; fix the path/);
    expect(problem({ tls_server_config: { cert_file: pki.serverCert } })).toMatch(/tls_server_config\.key_file: is required/);
    expect(problem({ basic_auth_users: { alice: 'pw' } })).toMatch(/basic_auth_users\.alice: is not a bcrypt hash .*htpasswd/);
    expect(problem({ basic_auth_users: { alice: 42 } })).toMatch(/basic_auth_users\.alice: is not a bcrypt hash/);
    expect(problem({ tls_server_config: { cert_file: pki.serverCert, key_file: pki.serverKey, client_auth_type: 'RequireAndVerify' } })).toMatch(/client_auth_type: "RequireAndVerify" is not one of/);
    expect(problem({ tls_server_config: { cert_file: pki.serverCert, key_file: pki.serverKey, client_auth_type: 'RequireAndVerifyClientCert' } })).toMatch(/client_ca_file: is required with client_auth_type RequireAndVerifyClientCert/);
    expect(problem({ tls_server_config: { cert_file: pki.serverCert, key_file: pki.serverKey, min_version: 'TLS1.2' } })).toMatch(/min_version: "TLS1\.2" is not one of TLS10, TLS11, TLS12, TLS13/);
    expect(problem({ tls_server_config: { cert_file: pki.serverCert, key_file: pki.serverKey, min_version: 'TLS13', max_version: 'TLS12' } })).toMatch(/min_version: TLS13 is above max_version TLS12/);
    expect(problem({ tls_server_config: { cert_file: pki.serverCert, key_file: pki.serverKey, cipher_suites: ['TLS_AES_128_GCM_SHA256'] } })).toMatch(/cipher_suites: is not supported .*min_version: TLS13/);
    expect(problem({ http_server_config: { headers: { Server: 'x' } } })).toMatch(/http_server_config\.headers\.Server: is not one of/);
    expect(problem(['a'])).toMatch(/must be a mapping/);
  });

  it('loadWebConfig: a missing or non-YAML file is one clear line', () => {
    expect(() => loadWebConfig(join(dir, 'nope.yml'))).toThrow(/nope\.yml cannot be read \(metrics\.webConfigFile\)/);
    writeFileSync(join(dir, 'bad.yml'), 'basic_auth_users: [unclosed\n');
    expect(() => loadWebConfig(join(dir, 'bad.yml'))).toThrow(/bad\.yml is not YAML/);
    writeFileSync(join(dir, 'empty.yml'), '');
    expect(loadWebConfig(join(dir, 'empty.yml')).tls).toBeUndefined();
  });
});

describe('BasicAuth', () => {
  const header = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

  it('accepts the right password, refuses a wrong one, an unknown user and no header', async () => {
    const auth = new BasicAuth(new Map([['alice', HASH]]));
    expect(await auth.check(header('alice', 'pw'))).toBe(true);
    expect(await auth.check(header('alice', 'pw'))).toBe(true); // from the cache
    expect(await auth.check(header('alice', 'wrong'))).toBe(false);
    expect(await auth.check(header('bob', 'pw'))).toBe(false);
    expect(await auth.check(undefined)).toBe(false);
    expect(await auth.check('Bearer x')).toBe(false);
  });

  it('a cached password is not honoured once the hash changes', async () => {
    const before = new BasicAuth(new Map([['alice', HASH]]));
    expect(await before.check(header('alice', 'pw'))).toBe(true);
    const after = new BasicAuth(new Map([['alice', bcrypt.hashSync('new', 4)]]));
    expect(await after.check(header('alice', 'pw'))).toBe(false);
  });

  it('parseBasic keeps colons in passwords', () => {
    expect(parseBasic(header('a', 'b:c'))).toEqual({ user: 'a', password: 'b:c' });
    expect(parseBasic('Basic !!!')).toBeUndefined();
  });
});
