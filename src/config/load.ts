import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import convict from 'convict';
import { brokerEntries } from './brokers.js';
import { parseKeyValues } from './formats.js';
import { loadRules } from '../sinks/alertmanager/notifier.js';
import { redactUrl } from './redact.js';
import { schema, type Config, type ConfigShape } from './schema.js';

/** Bad configuration: the CLI prints the message and exits 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LoadOptions {
  /** Command-line flags after the command name (`--amqp-prefetch 10 --config f.json`). */
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Site-wide overrides shipped with the package; `config/default.json` unless given. */
  readonly defaultFile?: string;
}

export interface SettingInfo {
  readonly key: string;
  readonly doc: string;
  readonly format: string;
  readonly default: unknown;
  readonly env?: string;
  /** Read when `env` is not set: OTEL_EXPORTER_OTLP_X behind OTEL_EXPORTER_OTLP_LOGS_X. */
  readonly envFallback?: string;
  readonly arg?: string;
  readonly sensitive: boolean;
}

export const DEFAULT_FILE = fileURLToPath(new URL('../../config/default.json', import.meta.url));

/**
 * Layers, lowest first: schema defaults, config/default.json, --config FILE (or CADF_CONFIG), env
 * vars, flags. Fails with a ConfigError naming the key, the value, where it came from and the fix.
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const settings = listSettings();
  const { env, origins } = resolveEnv(opts.env ?? process.env, settings);
  const { flags, configFile } = parseFlags(opts.args ?? [], settings);
  const conf = convict<ConfigShape>(schema as unknown as convict.Schema<ConfigShape>, { env, args: flags });
  const files = [opts.defaultFile ?? DEFAULT_FILE];
  const extra = configFile ?? env.CADF_CONFIG;
  if (extra !== undefined && extra !== '') {
    if (!existsSync(extra)) throw new ConfigError(`config file ${extra} does not exist (from ${configFile !== undefined ? '--config' : 'CADF_CONFIG'})`);
    files.push(extra);
  }
  for (const f of files) {
    if (!existsSync(f)) continue;
    try {
      conf.loadFile(f);
    } catch (err) {
      throw new ConfigError(`config file ${f} cannot be read: ${(err as Error).message}`);
    }
  }
  try {
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    throw new ConfigError(explain((err as Error).message, settings, env, origins, flags, files));
  }
  const config = conf.getProperties();
  // Validated as `k=v,...` strings (see formats.ts); maps from here on.
  for (const key of ['headers', 'resourceAttributes'] as const) {
    const parsed = parseKeyValues(config.otlp[key] as unknown as string);
    config.otlp[key] = parsed.ok ? parsed.map : {};
  }
  config.amqp.brokers = brokerEntries(config.amqp.brokers);
  crossCheck(config);
  return deepFreeze(config);
}

function crossCheck(c: ConfigShape): void {
  const problems: string[] = [];
  const tls = c.amqp.tls;
  if ((tls.cert === '') !== (tls.key === '')) {
    problems.push('amqp.tls.cert and amqp.tls.key go together: set both (CADF_AMQP_TLS_CERT, CADF_AMQP_TLS_KEY) or neither');
  }
  for (const f of [tls.ca, tls.cert, tls.key]) {
    if (f !== '' && !existsSync(f)) problems.push(`TLS file ${f} does not exist (amqp.tls.*)`);
  }
  const o = c.otlp;
  if ((o.clientCertificate === '') !== (o.clientKey === '')) {
    problems.push('otlp.clientCertificate and otlp.clientKey go together: set both (OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE, OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY) or neither');
  }
  for (const [key, f] of [['certificate', o.certificate], ['clientCertificate', o.clientCertificate], ['clientKey', o.clientKey]] as const) {
    if (f !== '' && !existsSync(f)) problems.push(`otlp.${key}: file ${f} does not exist`);
  }
  const k = c.keystone;
  if (k.url !== '' && k.applicationCredentialId === '' && (k.username === '' || k.password === '')) {
    problems.push(
      'keystone.url is set, so name lookups need credentials: CADF_KEYSTONE_USERNAME and CADF_KEYSTONE_PASSWORD, or CADF_KEYSTONE_APPLICATION_CREDENTIAL_ID and _SECRET',
    );
  }
  if (k.applicationCredentialId !== '' && k.applicationCredentialSecret === '') {
    problems.push('keystone.applicationCredentialId needs keystone.applicationCredentialSecret (CADF_KEYSTONE_APPLICATION_CREDENTIAL_SECRET)');
  }
  if (k.caFile !== '' && !existsSync(k.caFile)) problems.push(`keystone.caFile ${k.caFile} does not exist (CADF_KEYSTONE_CA_FILE)`);
  if (c.amqp.reconnectInitialDelayMs > c.amqp.reconnectMaxDelayMs) {
    problems.push('amqp.reconnectInitialDelayMs must not be larger than amqp.reconnectMaxDelayMs');
  }
  if (c.amqp.exchanges.includes('') || c.amqp.queue === '' || c.amqp.deadLetterQueue === '') {
    problems.push('amqp.queue and amqp.deadLetterQueue must not be empty');
  }
  if (c.amqp.queue === c.amqp.deadLetterQueue) {
    problems.push('amqp.deadLetterQueue must differ from amqp.queue (CADF_AMQP_DEAD_LETTER_QUEUE)');
  }
  if (/^notifications\.(info|error|warn|debug|audit|critical|sample)$/.test(c.amqp.queue)) {
    problems.push(
      `amqp.queue "${c.amqp.queue}" is oslo's own queue: consuming it steals Ceilometer's events. Use a queue of your own (CADF_AMQP_QUEUE, default cadf-exporter)`,
    );
  }
  if (c.otlp.tenantBy !== 'none' && c.otlp.tenantFallback.trim() === '') {
    problems.push('otlp.tenantFallback must not be empty when otlp.tenantBy is set: records with no project or domain need a tenant (CADF_OTLP_TENANT_FALLBACK)');
  }
  if (!/^[A-Za-z0-9-]+$/.test(c.otlp.tenantHeader)) problems.push('otlp.tenantHeader must be an HTTP header name (CADF_OTLP_TENANT_HEADER, default X-Scope-OrgID)');
  for (const b of c.amqp.brokers) {
    const queue = b.queue ?? c.amqp.queue;
    if (queue === (b.deadLetterQueue ?? c.amqp.deadLetterQueue)) problems.push(`amqp.brokers "${b.name}": deadLetterQueue must differ from queue`);
    const t = b.tls ?? {};
    for (const f of [t.ca, t.cert, t.key]) if (f !== undefined && f !== '' && !existsSync(f)) problems.push(`amqp.brokers "${b.name}": TLS file ${f} does not exist`);
  }
  try {
    const rules = loadRules(c.notify);
    if (c.notify.alertmanagerUrl.length > 0 && rules.length === 0) {
      problems.push('notify.alertmanagerUrl is set but there are no rules: set notify.builtinRules (CADF_NOTIFY_BUILTIN_RULES=true), notify.rules or notify.rulesFile');
    }
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (c.sources !== 'amqp' && c.file.paths.filter((p) => p.trim() !== '').length === 0) {
    problems.push(`sources ${c.sources} reads log files: list them in file.paths (CADF_FILE_PATHS, e.g. /var/log/keystone/*.log)`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
}

/** convict's `key: message: value was "x"` lines -> what was wrong, where it came from, the fix. */
function explain(
  message: string,
  settings: readonly SettingInfo[],
  env: NodeJS.ProcessEnv,
  origins: ReadonlyMap<string, string>,
  flags: readonly string[],
  files: readonly string[],
): string {
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  const out = lines.map((line) => {
    const undeclared = /configuration param '([^']+)' not declared in the schema/.exec(line);
    if (undeclared) {
      return `${undeclared[1]} (in ${files.filter(existsSync).join(' or ')}) is not a setting; see docs/configuration.md for the list`;
    }
    const m = /^([\w.]+): (.*?)(?:: value was (.*))?$/.exec(line.trim());
    const s = m ? settings.find((x) => x.key === m[1]) : undefined;
    if (!m || !s) return line.trim();
    const flag = s.arg !== undefined ? flags.find((f) => f.startsWith(`--${s.arg}=`)) : undefined;
    const fromEnv = s.env !== undefined ? env[s.env] : undefined;
    const from = flag !== undefined ? `flag --${s.arg}` : fromEnv !== undefined ? (origins.get(s.env!) ?? `env ${s.env}`) : 'a config file';
    // convict hides sensitive values; show them from their source with the secrets masked.
    const raw = m[3] ?? (flag !== undefined ? flag.slice(flag.indexOf('=') + 1) : (fromEnv ?? '[in a file]'));
    const value = s.sensitive ? redactValue(raw) : raw;
    const how = [s.env && `env ${s.env}`, s.envFallback && `env ${s.envFallback}`, s.sensitive && s.env && `a file named by ${s.env}_FILE`, s.arg && `flag --${s.arg}`, `"${s.key}" in a config file`]
      .filter(Boolean)
      .join(', ');
    return `${s.key} = ${value} (from ${from}): ${m[2]}. Allowed: ${allowed(s)}. Set it with ${how}.`;
  });
  return `Invalid configuration:\n  ${out.join('\n  ')}`;
}

function allowed(s: SettingInfo): string {
  if (s.format.startsWith('one of')) return s.format;
  const def = s.sensitive ? redactValue(JSON.stringify(s.default)) : JSON.stringify(s.default);
  return `${s.format} (default ${def})`;
}

/** Sensitive values: URLs keep all but their passwords; anything else is masked whole. */
function redactValue(v: string): string {
  return v.includes('://') ? v.replace(/[a-z]+:\/\/[^\s",\]]+/g, (u) => redactUrl(u)) : '[redacted]';
}

/** Flattens the schema: one entry per setting, in schema order. */
export function listSettings(): SettingInfo[] {
  const out: SettingInfo[] = [];
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(node)) {
      const key = prefix === '' ? k : `${prefix}.${k}`;
      const leaf = v as Record<string, unknown>;
      if ('doc' in leaf && 'default' in leaf) {
        out.push({
          key,
          doc: leaf.doc as string,
          format: formatName(leaf.format),
          default: leaf.default,
          env: leaf.env as string | undefined,
          envFallback: leaf.envFallback as string | undefined,
          arg: leaf.arg as string | undefined,
          sensitive: leaf.sensitive === true,
        });
      } else {
        walk(leaf, key);
      }
    }
  };
  walk(schema, '');
  return out;
}

function formatName(f: unknown): string {
  if (Array.isArray(f)) return `one of ${f.join(', ')}`;
  if (f === String) return 'string';
  if (f === Boolean) return 'true or false';
  if (f === 'port') return 'port number 0-65535';
  if (f === 'nat') return 'whole number >= 0';
  if (f === 'positive-int') return 'whole number >= 1';
  if (f === 'string-list') return 'comma-separated list';
  if (f === 'amqp-urls') return 'amqp:// or amqps:// URLs, comma-separated';
  if (f === 'key-values') return 'key=value pairs, comma-separated';
  if (f === 'optional-url') return 'http(s) URL or empty';
  if (f === 'store-url') return 'mysql://, mariadb://, postgres:// URL or empty';
  return String(f);
}

/**
 * The environment convict reads, with what it cannot do itself: a secret from the file named by
 * `<VAR>_FILE` (Docker and Kubernetes secrets), and OpenTelemetry's precedence, the logs-specific
 * variable over the generic one. `origins` says where a value came from, for error messages.
 */
export function resolveEnv(
  input: NodeJS.ProcessEnv,
  settings: readonly SettingInfo[] = listSettings(),
): { env: NodeJS.ProcessEnv; origins: Map<string, string> } {
  const env: NodeJS.ProcessEnv = { ...input };
  const origins = new Map<string, string>();
  const problems: string[] = [];
  const read = (name: string, secret: boolean): { value: string; origin: string } | undefined => {
    const file = secret ? input[`${name}_FILE`] : undefined;
    if (file !== undefined && file !== '') {
      if (input[name] !== undefined) {
        problems.push(`${name} and ${name}_FILE are both set: set one of them`);
        return undefined;
      }
      try {
        // A secret file written by `echo` or kubectl ends with a newline that is not part of it.
        return { value: readFileSync(file, 'utf8').replace(/\r?\n$/, ''), origin: `file ${file} (${name}_FILE)` };
      } catch (err) {
        problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): mount the secret there or unset ${name}_FILE`);
        return undefined;
      }
    }
    const v = input[name];
    return v !== undefined ? { value: v, origin: `env ${name}` } : undefined;
  };
  for (const s of settings) {
    if (s.env === undefined) continue;
    const found = read(s.env, s.sensitive) ?? (s.envFallback !== undefined ? read(s.envFallback, s.sensitive) : undefined);
    if (found === undefined) continue;
    env[s.env] = found.value;
    origins.set(s.env, found.origin);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return { env, origins };
}

/** Strict flag parsing: an unknown flag is an error, not silently ignored. */
function parseFlags(args: readonly string[], settings: readonly SettingInfo[]): { flags: string[]; configFile?: string } {
  const options: Record<string, { type: 'string' }> = { config: { type: 'string' } };
  for (const s of settings) if (s.arg !== undefined) options[s.arg] = { type: 'string' };
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.replace(/\.+$/, '')}. Flags are listed in docs/configuration.md.`);
  }
  const flags: string[] = [];
  for (const [k, v] of Object.entries(values)) if (k !== 'config' && v !== undefined) flags.push(`--${k}=${v}`);
  return { flags, configFile: values.config };
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * The first broker URL of CADF_AMQP_URL (or CADF_AMQP_URL_FILE), for commands that take no other
 * setting from the environment (simulate): read here so that nothing outside the loader reads it.
 */
export function firstAmqpUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = resolveEnv(env).env.CADF_AMQP_URL?.split(',')[0]?.trim();
  return url !== undefined && url !== '' ? url : undefined;
}
