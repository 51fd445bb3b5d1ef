// Three exporter processes on one quorum queue sharing a name store in the machine's real
// MariaDB, with a real Keystone (test/e2e/keystone/harness.sh): users that existed before the
// exporters are named when deleted (the Keystone listing), a user created through one replica is
// named when deleted through another (the shared store).
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { OtlpReceiver, type ReceivedRecord } from '../support/otlp-receiver.js';
import { AMQP_URL, Broker, testNames } from '../support/rabbit.js';
import { makePki } from '../support/pki.js';
import { TestDatabase } from '../support/sql.js';

const run = promisify(execFile);
const HARNESS = join(import.meta.dirname, 'keystone', 'harness.sh');
const ADMIN_PASSWORD = `admin-${Math.random().toString(16).slice(2, 10)}`;
const env = {
  ...process.env,
  KS_PORT: '5012',
  KSM_PORT: '8786',
  KS_ADMIN_PASSWORD: ADMIN_PASSWORD,
  KS_HARNESS_ROOT: mkdtempSync(join(tmpdir(), 'cadf-replicas-')),
  KS_TRANSPORT_URL: AMQP_URL.replace(/^amqp:/, 'rabbit:'),
};
const KS = `http://127.0.0.1:${env.KS_PORT}/v3`;

async function harness(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [HARNESS, ...args], { env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The admin's calls to Keystone's API (not the exporter's: it uses its application credential). */
class KeystoneAdmin {
  private token = '';
  async login(): Promise<void> {
    const res = await fetch(`${KS}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD } } },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      }),
    });
    expect(res.status).toBe(201);
    this.token = res.headers.get('x-subject-token')!;
  }
  async createUser(name: string): Promise<string> {
    const res = await fetch(`${KS}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': this.token },
      body: JSON.stringify({ user: { name, domain_id: 'default', password: 'secret-123' } }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { user: { id: string } }).user.id;
  }
  async deleteUser(id: string): Promise<void> {
    const res = await fetch(`${KS}/users/${id}`, { method: 'DELETE', headers: { 'x-auth-token': this.token } });
    expect(res.status).toBe(204);
  }
}

const userEvent = (op: string, id: string) => (r: ReceivedRecord) =>
  r.eventName === `identity.user.${op}` && r.attributes['openstack.resource.id'] === id;

describe('replicas with a shared name store and a real Keystone', () => {
  const names = testNames('replicas');
  const receiver = new OtlpReceiver();
  const admin = new KeystoneAdmin();
  const replicas: ExporterProcess[] = [];
  let db: TestDatabase;
  let broker: Broker;
  let appCred: { app_cred_id: string; app_cred_secret: string };

  const spawn = (instance: string): ExporterProcess => {
    const p = ExporterProcess.spawn(
      ExporterProcess.envFor({ ...names, exchanges: ['keystone'] }, receiver.url, {
        CADF_AMQP_QUEUE_TYPE: 'quorum',
        CADF_EXPORT_BATCH_DELAY_MS: '50',
        CADF_ENRICH_STORE_URL: db.url,
        CADF_ENRICH_STORE_REFRESH_INTERVAL_MS: '500',
        CADF_KEYSTONE_URL: KS,
        CADF_KEYSTONE_APPLICATION_CREDENTIAL_ID: appCred.app_cred_id,
        CADF_KEYSTONE_APPLICATION_CREDENTIAL_SECRET: appCred.app_cred_secret,
        CADF_LOOKUP_WAIT_MS: '2000',
        OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instance}`,
      }),
    );
    replicas.push(p);
    return p;
  };

  beforeAll(async () => {
    await harness('install');
    await harness('start');
    await receiver.listen();
    broker = await Broker.connect();
    db = await TestDatabase.create('mysql');
    const state = readFileSync(join(env.KS_HARNESS_ROOT, 'current'), 'utf8').trim();
    appCred = JSON.parse(readFileSync(join(state, 'setup.json'), 'utf8')) as typeof appCred;
    await admin.login();
  }, 360_000);

  afterAll(async () => {
    for (const r of replicas) await r.stop();
    await harness('stop').catch(() => undefined);
    await broker?.cleanup({ ...names, exchanges: [] });
    await db?.drop();
    await receiver.close();
  }, 60_000);

  it('names deletions of users older than the exporters, and of users created through another replica', async () => {
    // Before any exporter: no event will ever teach these names.
    const before = [await admin.createUser('before-alice'), await admin.createUser('before-bob')];
    const a = spawn('replica-a');
    await a.waitReady();
    await waitFor(async () => (await a.metric('cadf_exporter_name_prime_runs_total', { result: 'success' })) >= 1, 30_000, () => a.stderr.slice(-3000));
    expect(await a.metric('cadf_exporter_names_primed_total', { kind: 'user' })).toBeGreaterThanOrEqual(2);
    expect(await a.metric('cadf_exporter_name_store_up', { store: 'mysql' })).toBe(1);

    // Created while only replica A consumes: A learns the name (a Keystone lookup) and writes it.
    const during = await admin.createUser('during-carol');
    await waitFor(() => receiver.accepted.some(userEvent('created', during)), 20_000, () => a.stderr.slice(-3000));
    const rows = async (): Promise<string[]> => (await db.rows("SELECT name FROM cadf_names WHERE kind = 'user'")).map((r) => String(r.name));
    await waitFor(async () => (await rows()).includes('during-carol'), 10_000, () => 'not written to the store');

    // B and C take over; A leaves. Every deletion goes through B or C.
    const b = spawn('replica-b');
    const c = spawn('replica-c');
    await Promise.all([b.waitReady(), c.waitReady()]);
    await a.stop();
    for (const id of [...before, during]) await admin.deleteUser(id);

    await waitFor(() => [...before, during].every((id) => receiver.accepted.some(userEvent('deleted', id))), 30_000, () => b.stderr.slice(-2000) + c.stderr.slice(-2000));
    const named = Object.fromEntries(
      [...before, during].map((id) => {
        const r = receiver.accepted.find(userEvent('deleted', id))!;
        return [r.attributes['openstack.resource.name'], r.resource['service.instance.id']];
      }),
    );
    expect(Object.keys(named).sort()).toEqual(['before-alice', 'before-bob', 'during-carol']);
    for (const instance of Object.values(named)) expect(['replica-b', 'replica-c']).toContain(instance);
    expect((await b.metric('cadf_exporter_unnamed_deletions_total')) + (await c.metric('cadf_exporter_unnamed_deletions_total'))).toBe(0);
  }, 180_000);

  it('reads names from this Keystone behind HTTPS with its own CA, and refuses it without that CA', async () => {
    // TLS terminated in front of the real Keystone, as haproxy does in Kolla-Ansible and openstack-helm.
    const pki = makePki('cadf-keystone-tls');
    const proxy = createHttpsServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, (req, res) => {
      const upstream = httpRequest({ host: '127.0.0.1', port: Number(env.KS_PORT), path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}/v3`;
    const own = testNames('keystone-tls');
    const exporterWith = (extra: Record<string, string>): ExporterProcess => {
      const p = ExporterProcess.spawn(
        ExporterProcess.envFor({ ...own, exchanges: ['keystone'] }, receiver.url, {
          CADF_KEYSTONE_URL: url,
          CADF_KEYSTONE_APPLICATION_CREDENTIAL_ID: appCred.app_cred_id,
          CADF_KEYSTONE_APPLICATION_CREDENTIAL_SECRET: appCred.app_cred_secret,
          ...extra,
        }),
      );
      replicas.push(p);
      return p;
    };
    try {
      const trusted = exporterWith({ CADF_KEYSTONE_CA_FILE: pki.caCert });
      await trusted.waitStarted();
      await waitFor(async () => (await trusted.metric('cadf_exporter_name_prime_runs_total', { result: 'success' })) >= 1, 30_000, () => trusted.stderr.slice(-3000));
      expect(await trusted.metric('cadf_exporter_names_primed_total', { kind: 'user' })).toBeGreaterThanOrEqual(1);
      await trusted.stop();

      const untrusted = exporterWith({});
      await untrusted.waitStarted();
      await waitFor(async () => (await untrusted.metric('cadf_exporter_name_prime_runs_total', { result: 'error' })) >= 1, 30_000, () => untrusted.stderr.slice(-3000));
      expect(untrusted.stderr).toMatch(/self[- ]signed|unable to verify|UNABLE_TO_VERIFY/i);
      expect(await untrusted.metric('cadf_exporter_names_primed_total', { kind: 'user' })).toBe(0);
      await untrusted.stop();
    } finally {
      await broker.cleanup({ ...own, exchanges: [] });
      await new Promise<void>((r) => proxy.close(() => r()));
      pki.remove();
    }
  }, 120_000);
});
