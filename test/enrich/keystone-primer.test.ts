// The Keystone listing: pages followed, per-domain lists, failures contained. A Keystone 22 does
// not paginate (it answers a list whole, or cut at list_limit), so the pages come from a stand-in
// that does what the v3 API allows (links.next); the real Keystone is in test/e2e/replicas.test.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KeystoneClient } from '../../src/enrich/keystone-client.js';
import { KeystonePrimer } from '../../src/enrich/keystone-primer.js';
import { NameMemory } from '../../src/enrich/name-memory.js';

const log = pino({ level: 'silent' });
const PAGE = 2;

interface Obj {
  id: string;
  name: string;
  domain_id?: string;
}

class PagingKeystone {
  readonly gets: string[] = [];
  failing = new Set<string>();
  truncate = new Set<string>();
  data: Record<string, Obj[]> = {
    domains: [{ id: 'default', name: 'Default' }, { id: 'd2', name: 'Other' }],
    projects: [{ id: 'p1', name: 'admin', domain_id: 'default' }, { id: 'p2', name: 'demo', domain_id: 'd2' }, { id: 'p3', name: 'ops', domain_id: 'd2' }],
    roles: [{ id: 'r1', name: 'admin' }, { id: 'r2', name: 'reader' }, { id: 'r3', name: 'member' }, { id: 'dr1', name: 'd2-role', domain_id: 'd2' }],
    users: Array.from({ length: 7 }, (_, i) => ({ id: `u${i}`, name: `user-${i}`, domain_id: i < 4 ? 'default' : 'd2' })),
    groups: [{ id: 'g1', name: 'admins', domain_id: 'd2' }],
  };
  url = '';
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(201, { 'x-subject-token': 'tok' }).end(JSON.stringify({ token: { expires_at: new Date(Date.now() + 3600_000).toISOString() } }));
        return;
      }
      this.gets.push(req.url!);
      const u = new URL(req.url!, 'http://x');
      const what = u.pathname.replace('/v3/', '');
      if (this.failing.has(what)) return void res.writeHead(500).end();
      const domain = u.searchParams.get('domain_id');
      // Roles without domain_id are the global ones; with it, that domain's.
      const all = (this.data[what] ?? []).filter((o) => (domain === null ? what !== 'roles' || o.domain_id === undefined : o.domain_id === domain));
      const from = Number(u.searchParams.get('marker_index') ?? 0);
      const page = this.truncate.has(what) ? all.slice(0, 1) : all.slice(from, from + PAGE);
      const more = !this.truncate.has(what) && from + PAGE < all.length;
      const next = more ? `http://keystone.public:5000/v3/${what}?${domain !== null ? `domain_id=${domain}&` : ''}marker_index=${from + PAGE}` : null;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ [what]: page, links: { next }, truncated: this.truncate.has(what) }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v3`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

let ks: PagingKeystone | undefined;
afterEach(async () => {
  await ks?.stop();
  ks = undefined;
});

async function setup() {
  ks = new PagingKeystone();
  await ks.start();
  const client = new KeystoneClient(
    {
      url: ks.url, username: 'reader', password: 'pw', userDomainName: 'Default', projectName: 'admin', projectDomainName: 'Default',
      applicationCredentialId: '', applicationCredentialSecret: '', caFile: '', timeoutMs: 5000, maxRequestsPerSecond: 1000, negativeCacheSeconds: 600,
    },
    log,
  );
  const memory = new NameMemory(undefined, { maxEntries: 1000, flushIntervalMs: 1000 }, log);
  const primed: Record<string, number> = {};
  const runs: boolean[] = [];
  const primer = new KeystonePrimer(client, memory, { intervalMs: 3_600_000 }, { primed: (k, n) => (primed[k] = (primed[k] ?? 0) + n), ran: (ok) => runs.push(ok) }, log);
  return { ks, client, memory, primer, primed, runs };
}

describe('KeystonePrimer', () => {
  it('learns every object, following links.next page after page, users and groups per domain', async () => {
    const { ks, memory, primer, primed, runs } = await setup();
    expect(await primer.run()).toBe(true);
    expect(runs).toEqual([true]);
    expect(primed).toEqual({ domain: 2, project: 3, role: 4, user: 7, group: 1 });
    expect(memory.get('user', 'u6')).toMatchObject({ n: 'user-6', d: 'd2' });
    expect(memory.get('role', 'dr1')?.n).toBe('d2-role');
    expect(memory.get('group', 'g1')?.n).toBe('admins');
    expect(memory.sizeOf('user')).toBe(7);
    // Pages of two: users of Default in two requests, of d2 in two; links.next rebased on our URL.
    expect(ks.gets.filter((g) => g.startsWith('/v3/users'))).toEqual([
      '/v3/users?domain_id=default',
      '/v3/users?domain_id=default&marker_index=2',
      '/v3/users?domain_id=d2',
      '/v3/users?domain_id=d2&marker_index=2',
    ]);
  });

  it('goes on with the other kinds when one listing fails, and reports the run as failed', async () => {
    const { ks, memory, primer, runs } = await setup();
    ks.failing.add('projects');
    expect(await primer.run()).toBe(false);
    expect(runs).toEqual([false]);
    expect(memory.sizeOf('project')).toBe(0);
    expect(memory.sizeOf('user')).toBe(7);
    ks.failing.clear();
    expect(await primer.run()).toBe(true);
    expect(memory.sizeOf('project')).toBe(3);
  });

  it('keeps what a truncated listing gives, and joins a run already going', async () => {
    const { ks, memory, primer, runs } = await setup();
    ks.truncate.add('users');
    const [a, b] = [primer.run(), primer.run()];
    expect(a).toBe(b);
    expect(await a).toBe(true);
    expect(runs).toEqual([true]);
    expect(memory.sizeOf('user')).toBe(2); // one per domain: as far as Keystone went
  });

  it('stops listing once the client is closed', async () => {
    const { client, primer, runs } = await setup();
    client.close();
    expect(await primer.run()).toBe(false);
    expect(runs).toEqual([false]);
  });
});
