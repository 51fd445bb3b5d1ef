// The poster against a local HTTP server standing in for Alertmanager: what it sends, bounded
// retries, a full queue dropping, and shutdown counting what is left.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostableAlert } from '../../../src/sinks/alertmanager/alert.js';
import { AlertPoster, type PosterOptions } from '../../../src/sinks/alertmanager/poster.js';
import { waitFor } from '../../support/exporter.js';

interface Fake {
  server: Server;
  url: string;
  bodies: PostableAlert[][];
  status: number;
  hold: boolean;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function fake(status = 200): Promise<Fake> {
  const f: Fake = { server: createServer(), url: '', bodies: [], status, hold: false };
  f.server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v2/alerts') f.bodies.push(JSON.parse(Buffer.concat(chunks).toString()) as PostableAlert[]);
      if (f.hold) return; // never answers: a hung Alertmanager
      res.writeHead(f.status).end();
    });
  });
  await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', r));
  f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
  servers.push(f.server);
  return f;
}

function alert(i: number): PostableAlert {
  return { labels: { alertname: 'A', record_uid: String(i) }, annotations: {}, startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T01:00:00Z' };
}

function counting(): { sent: number; failed: Array<[number, string]>; dropped: Array<[number, string]>; o: ConstructorParameters<typeof AlertPoster>[1] } {
  const c = { sent: 0, failed: [] as Array<[number, string]>, dropped: [] as Array<[number, string]> };
  return Object.assign(c, {
    o: {
      sent: (n: number) => (c.sent += n),
      failed: (n: number, reason: string) => c.failed.push([n, reason]),
      dropped: (n: number, reason: string) => c.dropped.push([n, reason]),
    },
  });
}

const opts = (urls: string[], more: Partial<PosterOptions> = {}): PosterOptions => ({
  urls,
  queueSize: 100,
  batchSize: 64,
  timeoutMs: 2000,
  maxRetries: 2,
  retryInitialDelayMs: 10,
  retryMaxDelayMs: 20,
  ...more,
});

describe('AlertPoster', () => {
  it('posts the alerts as a JSON array to /api/v2/alerts', async () => {
    const am = await fake();
    const c = counting();
    const p = new AlertPoster(opts([am.url]), c.o);
    for (let i = 0; i < 3; i++) expect(p.enqueue(alert(i))).toBe(true);
    await waitFor(() => c.sent === 3, 5000, () => JSON.stringify(c));
    expect(am.bodies.flat().map((a) => a.labels.record_uid)).toEqual(['0', '1', '2']);
    expect(c.failed).toEqual([]);
  });

  it('retries a failing Alertmanager maxRetries times, then counts the alerts as failed', async () => {
    const am = await fake(503);
    const c = counting();
    const p = new AlertPoster(opts([am.url]), c.o);
    p.enqueue(alert(1));
    await waitFor(() => c.failed.length === 1, 5000, () => JSON.stringify(c));
    expect(c.failed).toEqual([[1, 'status_5xx']]);
    expect(am.bodies.length).toBe(3); // the first attempt and 2 retries
    expect(c.sent).toBe(0);
  });

  it('a refused connection is a network failure; one of two Alertmanagers up is enough', async () => {
    const up = await fake();
    const down = await fake();
    const downUrl = down.url;
    servers.splice(servers.indexOf(down.server), 1);
    await new Promise<void>((r) => down.server.close(() => r()));
    const c = counting();
    new AlertPoster(opts([downUrl]), c.o).enqueue(alert(1));
    await waitFor(() => c.failed.length === 1, 5000, () => JSON.stringify(c));
    expect(c.failed).toEqual([[1, 'network']]);
    const c2 = counting();
    new AlertPoster(opts([downUrl, up.url]), c2.o).enqueue(alert(2));
    await waitFor(() => c2.sent === 1, 5000, () => JSON.stringify(c2));
    expect(c2.failed).toEqual([]);
  });

  it('drops what does not fit while Alertmanager hangs, without waiting; shutdown counts the rest', async () => {
    const am = await fake();
    am.hold = true;
    const c = counting();
    const p = new AlertPoster(opts([am.url], { queueSize: 2, batchSize: 1, timeoutMs: 60_000 }), c.o);
    p.enqueue(alert(0)); // taken at once into the hung request
    await waitFor(() => am.bodies.length === 1, 5000, () => 'no request');
    expect(p.enqueue(alert(1))).toBe(true);
    expect(p.enqueue(alert(2))).toBe(true);
    expect(p.enqueue(alert(3))).toBe(false);
    expect(c.dropped).toEqual([[1, 'queue_full']]);
    await p.shutdown(Date.now() + 50);
    expect(c.dropped).toEqual([
      [1, 'queue_full'],
      [2, 'shutdown'],
    ]);
    expect(p.enqueue(alert(4))).toBe(false);
    expect(c.dropped.at(-1)).toEqual([1, 'shutdown']);
  });
});
