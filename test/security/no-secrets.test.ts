// Issue 11, item 1: a distinct secret in every place one can go, every command and error path run,
// and none of the secrets in stdout, stderr, /metrics or `config` output.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, listSettings, loadConfig } from '../../src/config/load.js';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { withNewId } from '../support/messages.js';
import { Broker, testNames } from '../support/rabbit.js';
import { cases, TESTDATA } from '../support/testdata.js';

const ROOT = join(TESTDATA, '..', '..');
const S = {
  amqpPassword: 'Sq1amqpPW',
  // A user name alone in a URL is taken for a token (gateways take one so); beside a password it is shown.
  amqpLoneUser: 'Sq2loneUser',
  brokerPassword: 'Sq3brokerPW',
  otlpUserinfo: 'Sq4otlpTok',
  otlpQuery: 'Sq5otlpQuery',
  header: 'Sq6headerTok',
  tenantHeader: 'Sq7secondHeader',
  keystoneUrlPassword: 'Sq8ksUrlPW',
  keystonePassword: 'Sq9ksPW',
  appCredSecret: 'Sq10appCred',
  storePassword: 'Sq11storePW',
  alertmanagerPassword: 'Sq12amPW',
};
const SECRETS = Object.values(S);

/** Every secret, raw and as it would look percent-encoded or base64-encoded. */
function leaks(text: string): string[] {
  return SECRETS.filter((s) => [s, encodeURIComponent(s), Buffer.from(s).toString('base64')].some((form) => text.includes(form)));
}

/** A server that answers 401 to everything, as a Keystone, an OTLP gateway or an Alertmanager that refuses the credentials. */
async function refusing(): Promise<{ url: string; server: Server; hits: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    n++;
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":401,"message":"The request you have made requires authentication."}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits: () => n };
}

/** The secrets' env: every URL setting with userinfo, both header variables, every password. */
function secretEnv(hosts: { otlp: string; keystone: string; alertmanager: string; store: string }): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `http://user:${S.otlpUserinfo}@${hosts.otlp}/otlp/v1/logs?token=${S.otlpQuery}`,
    OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${S.header},X-Extra=${S.tenantHeader}`,
    CADF_KEYSTONE_URL: `http://ks:${S.keystoneUrlPassword}@${hosts.keystone}/v3`,
    CADF_KEYSTONE_USERNAME: 'reader',
    CADF_KEYSTONE_PASSWORD: S.keystonePassword,
    CADF_KEYSTONE_APPLICATION_CREDENTIAL_ID: 'appcred-id',
    CADF_KEYSTONE_APPLICATION_CREDENTIAL_SECRET: S.appCredSecret,
    CADF_KEYSTONE_PRIME_INTERVAL_SECONDS: '1',
    CADF_ENRICH_STORE_URL: `mysql://root:${S.storePassword}@${hosts.store}/cadf`,
    CADF_ENRICH_STORE_TIMEOUT_MS: '300',
    CADF_NOTIFY_ALERTMANAGER_URL: `http://am:${S.alertmanagerPassword}@${hosts.alertmanager}`,
    CADF_NOTIFY_BUILTIN_RULES: 'true',
  };
}

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('no secret in any output', () => {
  let refuse: Awaited<ReturnType<typeof refusing>>;
  const dead = '127.0.0.1:9'; // discard port: nothing listens, connections are refused

  beforeAll(async () => {
    refuse = await refusing();
  });
  afterAll(() => new Promise<void>((r) => refuse.server.close(() => r())));

  it('the test covers every secret setting of the schema', () => {
    const env: Record<string, string> = { ...secretEnv({ otlp: dead, keystone: dead, alertmanager: dead, store: dead }), CADF_AMQP_URL: 'x', CADF_AMQP_BROKERS: 'x' };
    const secretSettings = listSettings().filter((s) => s.sensitive);
    for (const s of secretSettings) {
      const covered = env[s.env!] !== undefined || (s.envFallback !== undefined && env[s.envFallback] !== undefined) || s.key === 'otlp.endpoint';
      expect(covered, `${s.key} (${s.env}) has no secret in this test`).toBe(true);
    }
  });

  it('`config` and `config --help` print none', async () => {
    const env = {
      ...secretEnv({ otlp: dead, keystone: dead, alertmanager: dead, store: dead }),
      CADF_AMQP_URL: `amqp://cadf:${S.amqpPassword}@127.0.0.1:5672/,amqps://${S.amqpLoneUser}@127.0.0.1:5671/`,
      CADF_AMQP_BROKERS: JSON.stringify([{ name: 'b1', url: [`amqp://u:${S.brokerPassword}@127.0.0.1:5672/`] }]),
    };
    const shown = await cli(['config'], env);
    expect(shown.code, shown.out).toBe(0);
    expect(leaks(shown.out)).toEqual([]);
    // It is still the configuration: the masked values are there.
    expect(shown.out).toContain('amqp://cadf:***@127.0.0.1:5672/');
    expect(shown.out).toContain('"Authorization": "***"');
    const help = await cli(['config', '--help'], env);
    expect(help.code).toBe(0);
    expect(leaks(help.out)).toEqual([]);
  });

  it('bad values of every kind, secret or not, print none', async () => {
    const base = secretEnv({ otlp: dead, keystone: dead, alertmanager: dead, store: dead });
    const bad: Array<Record<string, string>> = [
      { CADF_AMQP_URL: `http://u:${S.amqpPassword}@host/` },
      { CADF_AMQP_URL: `amqp://u:${S.amqpPassword}@host/,not a url` },
      { CADF_AMQP_BROKERS: `[{"name":"b","url":["http://u:${S.brokerPassword}@h/"]}]` },
      { CADF_AMQP_BROKERS: `{"url":"amqp://u:${S.brokerPassword}@h/"` },
      { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `ftp://u:${S.otlpUserinfo}@h/?token=${S.otlpQuery}` },
      { OTEL_EXPORTER_OTLP_HEADERS: `Authorization:Bearer%20${S.header}` },
      { OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%2${S.header}` },
      { CADF_KEYSTONE_URL: `keystone:${S.keystoneUrlPassword}` },
      { CADF_ENRICH_STORE_URL: `redis://u:${S.storePassword}@h/` },
      { CADF_NOTIFY_ALERTMANAGER_URL: `am:${S.alertmanagerPassword}` },
      { CADF_KEYSTONE_APPLICATION_CREDENTIAL_ID: '', CADF_KEYSTONE_USERNAME: '' },
    ];
    const runs = await Promise.all(bad.map((b) => cli(['config'], { ...base, ...b })));
    for (const [i, r] of runs.entries()) {
      expect(r.code, `${JSON.stringify(bad[i])} was accepted`).toBe(1);
      expect(leaks(r.out), `${JSON.stringify(bad[i])}:\n${r.out}`).toEqual([]);
    }
    expect(runs[5]!.out).toContain('otlp.headers');
    // Every other setting with a value its format refuses, the secrets set around it: the same
    // message as the CLI prints (it prints ConfigError.message), in process to keep the test short.
    let refused = 0;
    const others = listSettings().filter((s) => !s.sensitive && s.env !== undefined);
    for (const s of others) {
      try {
        loadConfig({ env: { ...base, [s.env!]: '-1x,' }, args: [] });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect(leaks((err as Error).message), s.key).toEqual([]);
        refused++;
      }
    }
    // Most of them must really have been errors (free-form strings accept anything), or this shows nothing.
    expect(refused).toBeGreaterThan(others.length / 2);
  }, 120_000);

  it('`run` with every peer unreachable: broker, endpoint, Keystone, store, Alertmanager', async () => {
    const env = {
      ...secretEnv({ otlp: dead, keystone: dead, alertmanager: dead, store: dead }),
      CADF_AMQP_URL: `amqp://cadf:${S.amqpPassword}@127.0.0.1:9/,amqp://${S.amqpLoneUser}@127.0.0.1:9/`,
      CADF_AMQP_RECONNECT_INITIAL_DELAY_MS: '100',
      CADF_AMQP_RECONNECT_MAX_DELAY_MS: '200',
      CADF_DATA_DIR: mkdtempSync(join(tmpdir(), 'cadf-secrets-')),
      CADF_LOG_LEVEL: 'trace',
    };
    const p = ExporterProcess.spawn(env);
    await p.waitStarted();
    await waitFor(() => /cannot connect to RabbitMQ/.test(p.stderr) && /Keystone/.test(p.stderr), 20_000, () => p.stderr);
    const metrics = (await p.get('/metrics')).text;
    await p.stop();
    expect(leaks(p.stderr + p.stdout)).toEqual([]);
    expect(leaks(metrics)).toEqual([]);
  }, 60_000);

  it('`run` against a broker, with the endpoint, Keystone and Alertmanager answering 401', async () => {
    const names = testNames('secrets');
    const broker = await Broker.connect();
    try {
      for (const x of names.exchanges) await broker.declareLikeOslo(x);
      const env = ExporterProcess.envFor(names, undefined, {
        ...secretEnv({ otlp: refuse.url, keystone: refuse.url, alertmanager: refuse.url, store: dead }),
        CADF_LOG_LEVEL: 'trace',
      });
      const p = ExporterProcess.spawn(env);
      await p.waitStarted();
      await p.waitReady();
      const body = (n: string) => cases(n.endsWith('.bin') ? 'cornercases' : 'samples').find((c) => c.name === n)!.body.toString();
      await broker.publish(names.exchanges[0]!, [withNewId(body('quirk-user-deleted-no-initiator.bin')).body]);
      const before = refuse.hits();
      await waitFor(() => refuse.hits() >= before + 3 && /export failed/.test(p.stderr), 20_000, () => p.stderr);
      const metrics = (await p.get('/metrics')).text;
      await p.stop();
      expect(leaks(p.stderr + p.stdout)).toEqual([]);
      expect(leaks(metrics)).toEqual([]);
    } finally {
      await broker.cleanup(names);
    }
  }, 60_000);

  it('a start that fails (the data directory is a file) prints none', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cadf-secrets-')), 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await cli(['run'], {
      ...secretEnv({ otlp: dead, keystone: dead, alertmanager: dead, store: dead }),
      CADF_AMQP_URL: `amqp://u:${S.amqpPassword}@127.0.0.1:9/`,
      CADF_DATA_DIR: file,
      CADF_METRICS_PORT: '0',
    });
    expect(r.code).toBe(1);
    expect(r.out).toContain('cannot start');
    expect(leaks(r.out)).toEqual([]);
  }, 30_000);
});
