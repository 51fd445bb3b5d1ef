import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { redactConfig } from '../../src/config/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'cadf-config-'));
function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}
const none = file('empty-default.json', {});

function load(args: string[] = [], env: NodeJS.ProcessEnv = {}, defaultFile = none) {
  return loadConfig({ args, env, defaultFile });
}

function error(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = load();
    expect(c.amqp.url).toEqual(['amqp://guest:guest@127.0.0.1:5672/']);
    expect(c.amqp.exchanges).toEqual(['keystone', 'openstack', 'nova', 'glance', 'cinder', 'neutron', 'heat']);
    expect(c.amqp.routingKeys).toEqual(['notifications.*']);
    expect(c.amqp.queue).toBe('cadf-exporter');
    expect(c.amqp.deadLetterQueue).toBe('cadf-exporter.dead');
    expect(c.metrics.port).toBe(9464);
    expect(c.otlp.serviceName).toBe('openstack');
    expect(c.otlp.endpoint).toBe('');
    expect(Object.isFrozen(c.amqp)).toBe(true);
  });

  it('layers: defaults < config/default.json < --config file < env < flags', () => {
    const site = file('site.json', { amqp: { prefetch: 10, queue: 'site' }, log: { level: 'warn' } });
    const mine = file('mine.json', { amqp: { prefetch: 20 }, metrics: { port: 1234 } });
    expect(load([], {}, site).amqp.prefetch).toBe(10);
    const c = load(['--config', mine, '--metrics-port', '4321'], { CADF_AMQP_PREFETCH: '30', CADF_LOG_LEVEL: 'debug' }, site);
    expect(c.amqp.queue).toBe('site');
    expect(c.amqp.prefetch).toBe(30);
    expect(c.log.level).toBe('debug');
    expect(c.metrics.port).toBe(4321);
    expect(load([], { CADF_CONFIG: mine }, site).amqp.prefetch).toBe(20);
  });

  it('reads the standard OTEL_* variables and lists from env', () => {
    const c = load([], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://loki:3100/otlp',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20abc,X-Scope-OrgID=tenant1',
      OTEL_SERVICE_NAME: 'mycloud',
      OTEL_RESOURCE_ATTRIBUTES: 'cloud.region=RegionOne,deployment.environment.name=prod',
      CADF_AMQP_URL: 'amqp://a:b@h1:5672/,amqps://a:b@h2:5671/',
      CADF_AMQP_EXCHANGES: 'keystone, nova ,cinder',
      CADF_METRICS_HOST: '127.0.0.1',
    });
    expect(c.otlp.headers).toEqual({ Authorization: 'Basic abc', 'X-Scope-OrgID': 'tenant1' });
    expect(c.otlp.resourceAttributes).toEqual({ 'cloud.region': 'RegionOne', 'deployment.environment.name': 'prod' });
    expect(c.otlp.serviceName).toBe('mycloud');
    expect(c.amqp.url).toHaveLength(2);
    expect(c.amqp.exchanges).toEqual(['keystone', 'nova', 'cinder']);
    expect(c.metrics.host).toBe('127.0.0.1');
  });

  it('names the key, the value, its source and the fix', () => {
    const msg = error(() => load(['--amqp-prefetch=0'], { CADF_METRICS_PORT: '70000' }));
    expect(msg).toContain('amqp.prefetch = 0 (from flag --amqp-prefetch): must be a whole number >= 1');
    expect(msg).toContain('Set it with env CADF_AMQP_PREFETCH, flag --amqp-prefetch, "amqp.prefetch" in a config file.');
    expect(msg).toContain('metrics.port = 70000 (from env CADF_METRICS_PORT)');
    expect(error(() => load([], { CADF_LOG_LEVEL: 'loud' }))).toContain('Allowed: one of fatal, error, warn, info, debug, trace, silent');
    expect(error(() => load([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'loki:3100' }))).toContain('otlp.endpoint');
  });

  it('never prints secrets in errors', () => {
    const msg = error(() => load([], { CADF_AMQP_URL: 'http://user:hunter2@host/', OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20tok3n,broken' }));
    expect(msg).toContain('amqp.url = http://user:***@host/ (from env CADF_AMQP_URL)');
    expect(msg).not.toContain('hunter2');
    expect(msg).not.toContain('tok3n');
  });

  it('rejects unknown keys in files, unknown flags, and missing files', () => {
    expect(error(() => load(['--config', file('typo.json', { amqp: { prefech: 5 } })]))).toContain('amqp.prefech');
    expect(error(() => load(['--amqp-prefech', '5']))).toContain("Unknown option '--amqp-prefech'");
    expect(error(() => load(['--config', join(dir, 'nope.json')]))).toContain('does not exist');
    expect(error(() => load(['--config', file('broken.json', '{"amqp": ')]))).toContain('cannot be read');
  });

  it('checks settings that depend on each other', () => {
    expect(error(() => load([], { CADF_AMQP_QUEUE: 'notifications.info' }))).toContain("oslo's own queue");
    expect(error(() => load([], { CADF_AMQP_TLS_CERT: '/etc/hostname' }))).toContain('amqp.tls.cert and amqp.tls.key go together');
    expect(error(() => load([], { CADF_AMQP_DEAD_LETTER_QUEUE: 'cadf-exporter' }))).toContain('must differ');
  });
});

describe('redactConfig', () => {
  it('masks URL passwords and header values, nothing else', () => {
    const c = load([], { CADF_AMQP_URL: 'amqp://u:p4ss@h/', OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=secret' });
    const text = JSON.stringify(redactConfig(c));
    expect(text).not.toContain('p4ss');
    expect(text).not.toContain('secret');
    expect(text).toContain('amqp://u:***@h/');
    expect(text).toContain('"Authorization":"***"');
  });
});

describe('file source settings', () => {
  it('default to the queue only; CADF_SOURCES=file takes comma-separated paths and globs', () => {
    expect(load().sources).toBe('amqp');
    const c = load([], { CADF_SOURCES: 'file', CADF_FILE_PATHS: '/var/log/keystone/*.log,/var/log/kolla/*/*.log', CADF_FILE_START_AT: 'end' });
    expect(c.sources).toBe('file');
    expect(c.file.paths).toEqual(['/var/log/keystone/*.log', '/var/log/kolla/*/*.log']);
    expect(c.file.startAt).toBe('end');
    expect(c.file.startAt).not.toBe(load().file.startAt);
  });

  it('a file source without paths, or an unknown source, is a configuration error', () => {
    expect(error(() => load([], { CADF_SOURCES: 'both' }))).toContain('CADF_FILE_PATHS');
    expect(error(() => load([], { CADF_SOURCES: 'kafka' }))).toContain('sources');
  });
});
