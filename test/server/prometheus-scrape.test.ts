// The locked metrics server against a real Prometheus (Debian's /usr/bin/prometheus) scraping the
// real exporter process: one exporter behind TLS (a throwaway openssl CA), client certificates
// (RequireAndVerifyClientCert) and basic auth; one behind plain HTTP and basic auth. Each
// Prometheus job differs from the good one by one thing, and only the good ones are up.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusProcess } from '../dashboards/prometheus.js';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { makePki, type Pki } from '../support/pki.js';
import { testNames } from '../support/rabbit.js';

const PASSWORD = 'scrape-secret';
const JOBS = 10;
let pki: Pki;
let otherCa: Pki;
let tlsExporter: ExporterProcess;
let plainExporter: ExporterProcess;
let prometheus: PrometheusProcess;

interface Target {
  readonly labels: Record<string, string>;
  readonly health: string;
  readonly lastError: string;
}

async function targets(): Promise<Map<string, Target>> {
  const doc = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as { data: { activeTargets: Target[] } };
  return new Map(doc.data.activeTargets.map((t) => [t.labels.job!, t]));
}

async function up(job: string): Promise<string | undefined> {
  return (await prometheus.query(`up{job="${job}"}`))[0]?.value[1];
}

beforeAll(async () => {
  pki = makePki('cadf-scrape');
  otherCa = makePki('cadf-other');
  const hash = bcrypt.hashSync(PASSWORD, 10);
  // deploy/web-config/web-config.yml with the throwaway CA's files (relative paths: relative to
  // the web config file, as with exporter-toolkit) and the test's password.
  const example = parseYaml(readFileSync('deploy/web-config/web-config.yml', 'utf8')) as { tls_server_config: Record<string, string>; basic_auth_users: Record<string, string> };
  expect(example.tls_server_config.client_auth_type).toBe('RequireAndVerifyClientCert');
  Object.assign(example.tls_server_config, { cert_file: 'server.crt', key_file: 'server.key', client_ca_file: 'ca.crt' });
  example.basic_auth_users = { prometheus: hash };
  const tlsConfig = join(pki.dir, 'web-config.yml');
  writeFileSync(tlsConfig, stringify(example));
  // deploy/web-config/prometheus-scrape.yml's job, pointed at the test's files and exporter.
  const exampleJob = (parseYaml(readFileSync('deploy/web-config/prometheus-scrape.yml', 'utf8')) as { scrape_configs: Array<Record<string, unknown>> }).scrape_configs[0]!;
  writeFileSync(join(pki.dir, 'password'), PASSWORD);
  Object.assign(exampleJob, {
    job_name: 'example',
    tls_config: { ca_file: pki.caCert, cert_file: pki.clientCert, key_file: pki.clientKey },
    basic_auth: { ...(exampleJob.basic_auth as Record<string, string>), password_file: join(pki.dir, 'password') },
  });
  const plainConfig = join(pki.dir, 'web-config-plain.yml');
  writeFileSync(plainConfig, stringify({ basic_auth_users: { prometheus: hash } }));
  tlsExporter = ExporterProcess.spawn(ExporterProcess.envFor(testNames('webtls'), undefined, { CADF_WEB_CONFIG_FILE: tlsConfig }));
  // The flag, not the env var, for the other one: both ways are documented.
  plainExporter = ExporterProcess.spawn(ExporterProcess.envFor(testNames('webplain'), undefined), ['--web-config-file', plainConfig]);
  const tlsPort = await tlsExporter.waitStarted();
  const plainPort = await plainExporter.waitStarted();

  const good = { password: PASSWORD, username: 'prometheus' };
  const clientTls = { ca_file: pki.caCert, cert_file: pki.clientCert, key_file: pki.clientKey };
  const job = (name: string, port: number, extra: Record<string, unknown>): Record<string, unknown> => ({
    job_name: name,
    static_configs: [{ targets: [`127.0.0.1:${port}`] }],
    ...extra,
  });
  prometheus = await PrometheusProcess.start(
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '900ms' },
      scrape_configs: [
        { ...exampleJob, static_configs: [{ targets: [`127.0.0.1:${tlsPort}`] }] },
        job('tls-good', tlsPort, { scheme: 'https', tls_config: clientTls, basic_auth: good }),
        job('tls-wrong-password', tlsPort, { scheme: 'https', tls_config: clientTls, basic_auth: { ...good, password: 'wrong' } }),
        job('tls-wrong-ca', tlsPort, { scheme: 'https', tls_config: { ...clientTls, ca_file: otherCa.caCert }, basic_auth: good }),
        job('tls-no-client-cert', tlsPort, { scheme: 'https', tls_config: { ca_file: pki.caCert }, basic_auth: good }),
        job('tls-foreign-client-cert', tlsPort, { scheme: 'https', tls_config: { ca_file: pki.caCert, cert_file: otherCa.clientCert, key_file: otherCa.clientKey }, basic_auth: good }),
        job('tls-plain-http', tlsPort, { basic_auth: good }),
        job('plain-good', plainPort, { basic_auth: good }),
        job('plain-no-auth', plainPort, {}),
        job('plain-wrong-user', plainPort, { basic_auth: { ...good, username: 'admin' } }),
      ],
    }),
  );
  // Every job scraped at least once and its up sample queryable.
  await waitFor(
    async () => {
      const t = await targets();
      return t.size === JOBS && [...t.values()].every((x) => x.health !== 'unknown') && (await prometheus.query('up')).length === JOBS;
    },
    30_000,
    () => `targets not scraped:\n${prometheus.stderr}`,
  );
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await tlsExporter?.stop();
  await plainExporter?.stop();
  pki?.remove();
  otherCa?.remove();
});

describe('Prometheus scraping the locked metrics server', () => {
  it('scrapes through TLS, a client certificate and basic auth', async () => {
    expect(await up('tls-good')).toBe('1');
    expect(await up('example')).toBe('1');
    // The exporter's own series came through, not just an HTTP 200.
    expect((await prometheus.query('process_cpu_seconds_total{job="tls-good"}')).length).toBe(1);
    expect(tlsExporter.stderr).toContain('"metrics":"https://');
  });

  it('is down with a wrong password: 401', async () => {
    expect(await up('tls-wrong-password')).toBe('0');
    expect((await targets()).get('tls-wrong-password')!.lastError).toMatch(/401/);
  });

  it('is down when Prometheus does not trust the server certificate', async () => {
    expect(await up('tls-wrong-ca')).toBe('0');
    expect((await targets()).get('tls-wrong-ca')!.lastError).toMatch(/certificate/i);
  });

  it('is down without a client certificate or with one of another CA (RequireAndVerifyClientCert)', async () => {
    expect(await up('tls-no-client-cert')).toBe('0');
    expect(await up('tls-foreign-client-cert')).toBe('0');
    const t = await targets();
    expect(t.get('tls-no-client-cert')!.lastError).toMatch(/certificate required/);
    // Refused in the handshake: never a 401, so the password was not what stopped it.
    expect(t.get('tls-foreign-client-cert')!.lastError).not.toMatch(/401|^$/);
  });

  it('is down over plain HTTP to the TLS port', async () => {
    expect(await up('tls-plain-http')).toBe('0');
  });

  it('scrapes plain HTTP with basic auth, and refuses no or unknown credentials', async () => {
    expect(await up('plain-good')).toBe('1');
    expect(await up('plain-no-auth')).toBe('0');
    expect(await up('plain-wrong-user')).toBe('0');
    const t = await targets();
    expect(t.get('plain-no-auth')!.lastError).toMatch(/401/);
    expect(t.get('plain-wrong-user')!.lastError).toMatch(/401/);
  });

  it('puts the probes behind the same basic auth', async () => {
    const port = plainExporter.metricsPort;
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect((await fetch(`http://127.0.0.1:${port}${path}`)).status).toBe(401);
    }
    const auth = `Basic ${Buffer.from(`prometheus:${PASSWORD}`).toString('base64')}`;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: auth } })).status).toBe(200);
  });

  it("the image's HEALTHCHECK script passes with CADF_HEALTHCHECK_AUTH and fails without", async () => {
    // /readyz is 200 once the exporter consumes from RabbitMQ.
    const auth = { authorization: `Basic ${Buffer.from(`prometheus:${PASSWORD}`).toString('base64')}` };
    await waitFor(async () => (await fetch(`http://127.0.0.1:${plainExporter.metricsPort}/readyz`, { headers: auth })).status === 200, 20_000, () => plainExporter.stderr);
    const check = (env: Record<string, string>): number | null =>
      spawnSync(process.execPath, ['scripts/healthcheck.mjs'], { env: { PATH: process.env.PATH ?? '', CADF_METRICS_PORT: String(plainExporter.metricsPort), ...env } }).status;
    expect(check({ CADF_HEALTHCHECK_AUTH: `prometheus:${PASSWORD}` })).toBe(0);
    expect(check({})).toBe(1);
    expect(check({ CADF_HEALTHCHECK_AUTH: 'prometheus:wrong' })).toBe(1);
  });
});
