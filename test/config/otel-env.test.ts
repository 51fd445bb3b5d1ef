import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, firstAmqpUrlFromEnv, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'cadf-otel-env-'));
const none = join(dir, 'none.json');
writeFileSync(none, '{}');
const load = (env: NodeJS.ProcessEnv, args: string[] = []) => loadConfig({ env, args, defaultFile: none });
function error(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('OpenTelemetry variables: the logs-specific one over the generic one', () => {
  it('takes the generic variables when no logs-specific one is set', () => {
    const c = load({
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1234',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/etc/hostname',
    });
    expect(c.otlp.headers).toEqual({ a: '1' });
    expect(c.otlp.timeoutMs).toBe(1234);
    expect(c.otlp.compression).toBe('gzip');
    expect(c.otlp.protocol).toBe('http/json');
    expect(c.otlp.certificate).toBe('/etc/hostname');
  });

  it('the logs-specific variable wins, whole (headers are not merged)', () => {
    const c = load({
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2',
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'c=3',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1234',
      OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '999',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: 'gzip',
    });
    expect(c.otlp.headers).toEqual({ c: '3' });
    expect(c.otlp.timeoutMs).toBe(999);
    expect(c.otlp.compression).toBe('gzip');
  });

  it('a flag still wins over both', () => {
    expect(load({ OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '999' }, ['--otlp-timeout', '5']).otlp.timeoutMs).toBe(5);
  });

  it('an error names the variable the value came from', () => {
    expect(error(() => load({ OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' }))).toContain('(from env OTEL_EXPORTER_OTLP_TIMEOUT)');
    expect(error(() => load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }))).toContain('one of http/protobuf, http/json');
  });

  it('client certificate and key go together and must exist', () => {
    expect(error(() => load({ OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/etc/hostname' }))).toContain('otlp.clientCertificate and otlp.clientKey go together');
    expect(error(() => load({ OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE: join(dir, 'missing.pem') }))).toContain('otlp.certificate: file');
  });
});

describe('secrets from files (<VAR>_FILE)', () => {
  it('reads each secret from its file, without the trailing newline', () => {
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'file-secret\n');
    const headers = join(dir, 'headers');
    writeFileSync(headers, 'Authorization=Bearer%20from-file\n');
    const url = join(dir, 'url');
    writeFileSync(url, 'amqp://u:from-file@rabbit:5672/');
    const c = load({
      CADF_KEYSTONE_URL: 'http://keystone:5000/v3',
      CADF_KEYSTONE_USERNAME: 'reader',
      CADF_KEYSTONE_PASSWORD_FILE: pw,
      OTEL_EXPORTER_OTLP_HEADERS_FILE: headers,
      CADF_AMQP_URL_FILE: url,
    });
    expect(c.keystone.password).toBe('file-secret');
    expect(c.otlp.headers).toEqual({ Authorization: 'Bearer from-file' });
    expect(c.amqp.url).toEqual(['amqp://u:from-file@rabbit:5672/']);
    expect(firstAmqpUrlFromEnv({ CADF_AMQP_URL_FILE: url })).toBe('amqp://u:from-file@rabbit:5672/');
  });

  it('refuses both the variable and its file, and a file that cannot be read', () => {
    const pw = join(dir, 'pw2');
    writeFileSync(pw, 'x');
    expect(error(() => load({ CADF_KEYSTONE_PASSWORD: 'a', CADF_KEYSTONE_PASSWORD_FILE: pw }))).toContain('CADF_KEYSTONE_PASSWORD and CADF_KEYSTONE_PASSWORD_FILE are both set');
    expect(error(() => load({ CADF_KEYSTONE_PASSWORD_FILE: join(dir, 'nope') }))).toContain('CADF_KEYSTONE_PASSWORD_FILE: cannot read');
  });

  it('a setting that is not a secret has no _FILE variant', () => {
    const q = join(dir, 'q');
    writeFileSync(q, 'from-file');
    expect(load({ CADF_AMQP_QUEUE_FILE: q }).amqp.queue).toBe('cadf-exporter');
  });
});
