import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NameEnricher } from '../../src/enrich/enricher.js';
import { KeystoneClient, type KeystoneClientOptions } from '../../src/enrich/keystone-client.js';
import { NameMemory } from '../../src/enrich/name-memory.js';
import { decodeFile } from '../support/decode.js';

const log = pino({ level: 'silent' });

/** A Keystone v3 stand-in for timing and failure cases (the real one is in test/e2e). */
class FakeKeystone {
  auths = 0;
  /** The JSON bodies of the token requests, as Keystone received them. */
  authBodies: unknown[] = [];
  gets: string[] = [];
  delayMs = 0;
  status = 200;
  names: Record<string, string> = {};
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void (async () => {
        if (req.method === 'POST' && req.url === '/v3/auth/tokens') {
          this.auths += 1;
          const chunks: Buffer[] = [];
          for await (const c of req) chunks.push(c as Buffer);
          this.authBodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          res.writeHead(201, { 'x-subject-token': `tok-${this.auths}`, 'content-type': 'application/json' });
          res.end(JSON.stringify({ token: { expires_at: new Date(Date.now() + 3600_000).toISOString() } }));
          return;
        }
        this.gets.push(`${req.url} ${String(req.headers['x-auth-token'])}`);
        await sleep(this.delayMs);
        const m = /^\/v3\/(users|projects|domains|groups|roles)\/(.+)$/.exec(req.url ?? '');
        const name = m ? this.names[decodeURIComponent(m[2]!)] : undefined;
        if (this.status !== 200) res.writeHead(this.status).end();
        else if (name === undefined) res.writeHead(404).end('{}');
        else res.writeHead(200).end(JSON.stringify({ [m![1]!.slice(0, -1)]: { name, domain_id: 'default' } }));
      })();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v3`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

let ks: FakeKeystone | undefined;
afterEach(async () => {
  await ks?.stop();
  ks = undefined;
});

async function setup(options: Partial<KeystoneClientOptions> = {}, waitMs = 500) {
  ks = new FakeKeystone();
  await ks.start();
  const client = new KeystoneClient(
    {
      url: ks.url,
      username: 'reader',
      password: 'pw',
      userDomainName: 'Default',
      projectName: 'admin',
      projectDomainName: 'Default',
      applicationCredentialId: '',
      applicationCredentialSecret: '',
      caFile: '',
      timeoutMs: 5000,
      maxRequestsPerSecond: 1000,
      negativeCacheSeconds: 600,
      ...options,
    },
    log,
  );
  const memory = new NameMemory(undefined, { maxEntries: 1000, flushIntervalMs: 1000 }, log);
  const results: string[] = [];
  const hits: boolean[] = [];
  const enricher = new NameEnricher(memory, client, { cache: (h) => hits.push(h), lookup: (r) => results.push(r), unnamedDeletion: () => undefined }, waitMs);
  return { ks, client, memory, enricher, results, hits };
}

const grant = () => decodeFile('samples/keystone-role-assignment-created-group-project.json').event;
const deletion = () => decodeFile('cornercases/quirk-user-deleted-no-initiator.bin').event;
const login = () => decodeFile('samples/keystone-authenticate-success-internal-password-recheck.json').event;

describe('NameEnricher', () => {
  it('without Keystone: names come from the memory, learned from earlier events', async () => {
    const memory = new NameMemory(undefined, { maxEntries: 100, flushIntervalMs: 1000 }, log);
    const enricher = new NameEnricher(memory, undefined, { cache: () => undefined, lookup: () => undefined, unnamedDeletion: () => undefined }, 100);
    await enricher.enrich([login()]); // grace (7ec4...) logs in: her name is learned
    const del = deletion();
    await enricher.enrich([del]);
    expect(del.resource?.name).toBe('grace');
  });

  it('asks Keystone once per id, with one token, and names every ref', async () => {
    const s = await setup();
    s.ks.names = {
      cd59c4c1743047e59b884d924d98c8ed: 'reader',
      '47bd6f38f232498685ac777930628bba': 'ops',
      '67d2181ad2d9419a91ccd29f3072399f': 'demo',
      '10403d9b732b48edb4c8eb1619090bf5': 'admin',
    };
    const events = [grant(), grant(), grant()];
    await s.enricher.enrich(events);
    for (const ev of events) {
      expect(ev.assignment?.role?.name).toBe('reader');
      expect(ev.assignment?.group?.name).toBe('ops');
      expect(ev.assignment?.project?.name).toBe('demo');
      expect(ev.actor?.project.name).toBe('admin');
      expect(ev.actor?.name).toBe('admin'); // carried by the event itself
    }
    expect(s.ks.auths).toBe(1);
    expect(s.ks.gets).toHaveLength(4);
    expect(s.results.sort()).toEqual(['found', 'found', 'found', 'found']);
    // The next batch is answered from the memory.
    const again = grant();
    await s.enricher.enrich([again]);
    expect(again.assignment?.role?.name).toBe('reader');
    expect(s.ks.gets).toHaveLength(4);
  });

  it('an id Keystone does not know is not asked for again (negative cache)', async () => {
    const s = await setup();
    await s.enricher.enrich([deletion()]);
    await s.enricher.enrich([deletion()]);
    expect(s.ks.gets).toHaveLength(1);
    expect(s.results).toEqual(['not_found', 'not_found']);
  });

  it('a slow Keystone delays a batch by lookupWaitMs at most; the answer still teaches the memory', async () => {
    const s = await setup({}, 200);
    s.ks.delayMs = 1500;
    s.ks.names = { '7ec4ab48670241e6880354a8baf4e5d4': 'grace' };
    const del = deletion();
    const t = Date.now();
    await s.enricher.enrich([del]);
    expect(Date.now() - t).toBeLessThan(1000);
    expect(del.resource?.name).toBeUndefined();
    expect(s.results).toEqual(['timeout']);
    await sleep(1600);
    expect(s.memory.get('user', '7ec4ab48670241e6880354a8baf4e5d4')?.n).toBe('grace');
  });

  it('a failing Keystone is counted and the events go on without names', async () => {
    const s = await setup();
    s.ks.status = 500;
    const del = deletion();
    await s.enricher.enrich([del]);
    expect(del.resource?.name).toBeUndefined();
    expect(s.results).toEqual(['error']);
  });

  it('an unreachable Keystone is an error, not a hang', async () => {
    const s = await setup({ timeoutMs: 300 });
    await s.ks.stop();
    const del = deletion();
    await s.enricher.enrich([del]);
    expect(s.results).toEqual(['error']);
  });

  it('starts no more lookups per second than allowed', async () => {
    const s = await setup({ maxRequestsPerSecond: 4 }, 10_000);
    const ids = Array.from({ length: 8 }, (_, i) => `u${i}`);
    const t = Date.now();
    await Promise.all(ids.map((id) => s.client.lookup('user', id)));
    expect(Date.now() - t).toBeGreaterThanOrEqual(1500); // 8 lookups at 4/s: the last starts at 1.75 s
  });

  it('application credential auth sends the credential, unscoped', async () => {
    const s = await setup({ applicationCredentialId: 'ac1', applicationCredentialSecret: 's', username: '', password: '' });
    await s.client.lookup('role', 'r1');
    expect(s.ks.auths).toBe(1);
    // Keystone refuses a scope with an application credential: the body must carry none.
    expect(s.ks.authBodies[0]).toEqual({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac1', secret: 's' } } },
    });
  });
});
