// The Prometheus exporter-toolkit web configuration file (the one node_exporter reads with
// --web.config.file), so the exporter is locked the way every other exporter in the fleet is:
// https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface TlsServerConfig {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
  readonly clientAuthType: ClientAuthType;
  readonly minVersion: TlsVersion;
  readonly maxVersion: TlsVersion;
}

export interface WebConfig {
  readonly tls: TlsServerConfig | undefined;
  /** user -> bcrypt hash; empty: no basic auth. */
  readonly users: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

export class WebConfigError extends Error {
  override readonly name = 'WebConfigError';
}

const CLIENT_AUTH: readonly ClientAuthType[] = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];
const VERSIONS: Readonly<Record<string, TlsVersion>> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const TLS_KEYS = ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'min_version', 'max_version', 'cipher_suites', 'prefer_server_cipher_suites', 'curve_preferences', 'client_allowed_sans'];
// A bcrypt hash as htpasswd -B and Go's bcrypt write it: $2a$/$2b$/$2y$, cost, 53 characters.
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
// Headers the exporter-toolkit lets the file set (the security ones); others would fight the server's own.
const HEADERS = ['Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options', 'X-XSS-Protection', 'Content-Security-Policy'];

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Reads, parses and checks the file; throws a WebConfigError naming the key and the fix. */
export function loadWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WebConfigError(`web config file ${file} cannot be read (metrics.webConfigFile): ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new WebConfigError(`web config file ${file} is not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseWebConfig(doc ?? {}, dirname(file), file);
}

/** Checks a parsed document; relative file paths are relative to the config file, as in exporter-toolkit. */
export function parseWebConfig(doc: unknown, baseDir: string, source = 'web config'): WebConfig {
  const fail = (key: string, msg: string): never => {
    throw new WebConfigError(`${source}: ${key}: ${msg}`);
  };
  if (!isObj(doc)) return fail('(top level)', 'must be a mapping of tls_server_config, http_server_config, basic_auth_users');
  unknownKeys(doc, ['tls_server_config', 'http_server_config', 'basic_auth_users'], '', fail);
  const read = (key: string, path: unknown): string => {
    if (typeof path !== 'string' || path === '') return fail(key, 'must be a file path');
    const full = isAbsolute(path) ? path : resolve(baseDir, path);
    try {
      return readFileSync(full, 'utf8');
    } catch (err) {
      return fail(key, `cannot read ${full}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; fix the path (relative paths are relative to the web config file)`);
    }
  };

  let tls: TlsServerConfig | undefined;
  const t = doc.tls_server_config;
  if (t !== undefined && t !== null) {
    if (!isObj(t)) return fail('tls_server_config', 'must be a mapping');
    unknownKeys(t, TLS_KEYS, 'tls_server_config.', fail);
    for (const k of ['cipher_suites', 'prefer_server_cipher_suites', 'curve_preferences', 'client_allowed_sans']) {
      if (t[k] !== undefined) fail(`tls_server_config.${k}`, "is not supported by this exporter (Node's TLS names ciphers and curves differently from Go); remove it and use min_version: TLS13 to restrict ciphers");
    }
    if (t.cert_file === undefined) fail('tls_server_config.cert_file', 'is required with tls_server_config');
    if (t.key_file === undefined) fail('tls_server_config.key_file', 'is required with tls_server_config');
    const auth = t.client_auth_type ?? 'NoClientCert';
    if (typeof auth !== 'string' || !(CLIENT_AUTH as readonly string[]).includes(auth)) fail('tls_server_config.client_auth_type', `${JSON.stringify(auth)} is not one of ${CLIENT_AUTH.join(', ')}`);
    const clientAuthType = auth as ClientAuthType;
    const ca = t.client_ca_file !== undefined ? read('tls_server_config.client_ca_file', t.client_ca_file) : undefined;
    if (ca === undefined && (clientAuthType === 'VerifyClientCertIfGiven' || clientAuthType === 'RequireAndVerifyClientCert')) {
      fail('tls_server_config.client_ca_file', `is required with client_auth_type ${clientAuthType} (the CA that signs the clients' certificates)`);
    }
    const version = (key: string, dflt: string): TlsVersion => {
      const v = t[key] ?? dflt;
      const mapped = typeof v === 'string' ? VERSIONS[v] : undefined;
      return mapped ?? fail(`tls_server_config.${key}`, `${JSON.stringify(v)} is not one of ${Object.keys(VERSIONS).join(', ')}`);
    };
    const minVersion = version('min_version', 'TLS12');
    const maxVersion = version('max_version', 'TLS13');
    if (minVersion > maxVersion) fail('tls_server_config.min_version', `${String(t.min_version)} is above max_version ${String(t.max_version)}`);
    tls = {
      cert: read('tls_server_config.cert_file', t.cert_file),
      key: read('tls_server_config.key_file', t.key_file),
      ca,
      clientAuthType,
      minVersion,
      maxVersion,
    };
  }

  const headers: Record<string, string> = {};
  const h = doc.http_server_config;
  if (h !== undefined && h !== null) {
    if (!isObj(h)) return fail('http_server_config', 'must be a mapping');
    unknownKeys(h, ['headers', 'http2'], 'http_server_config.', fail);
    if (h.http2 !== undefined && typeof h.http2 !== 'boolean') fail('http_server_config.http2', 'must be true or false');
    if (h.headers !== undefined && h.headers !== null) {
      if (!isObj(h.headers)) return fail('http_server_config.headers', 'must be a mapping of header name to value');
      for (const [name, value] of Object.entries(h.headers)) {
        const known = HEADERS.find((x) => x.toLowerCase() === name.toLowerCase());
        if (known === undefined) fail(`http_server_config.headers.${name}`, `is not one of ${HEADERS.join(', ')}`);
        if (typeof value !== 'string') fail(`http_server_config.headers.${name}`, 'must be a string');
        headers[known!] = value as string;
      }
    }
  }

  const users = new Map<string, string>();
  const u = doc.basic_auth_users;
  if (u !== undefined && u !== null) {
    if (!isObj(u)) return fail('basic_auth_users', 'must be a mapping of user name to bcrypt hash');
    for (const [user, hash] of Object.entries(u)) {
      if (typeof hash !== 'string' || !BCRYPT.test(hash)) {
        fail(`basic_auth_users.${user}`, 'is not a bcrypt hash ($2y$10$...); make one with `htpasswd -nBC 10 "" | tr -d \':\\n\'` and never put the password itself here');
      }
      users.set(user, hash as string);
    }
  }
  return { tls, users, headers };
}

function unknownKeys(o: Obj, known: readonly string[], prefix: string, fail: (key: string, msg: string) => never): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) fail(`${prefix}${k}`, `unknown key (known: ${known.join(', ')}); check its spelling against exporter-toolkit's docs/web-configuration.md`);
  }
}
