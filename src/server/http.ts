import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Probes {
  /** The process is alive and not shutting down. */
  healthy(): boolean;
  /** Every source connected and consuming (or watching). */
  ready(): boolean;
  /** Each source's state, for the /readyz body: which broker is down. */
  sources?(): ReadonlyArray<{ readonly name: string; readonly ready: boolean }>;
}

/** One small server: /metrics (Prometheus text), /healthz and /readyz (200 or 503). */
export function createHttpServer(registry: Registry, probes: Probes): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/metrics':
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
        );
        return;
      case '/healthz':
        probe(res, probes.healthy(), 'ok', 'shutting down');
        return;
      case '/readyz': {
        const down = (probes.sources?.() ?? []).filter((x) => !x.ready).map((x) => x.name);
        probe(res, probes.ready(), 'ready', down.length > 0 ? `not ready: ${down.join(', ')} not consuming` : 'not ready');
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
    }
  });
}

function probe(res: ServerResponse, ok: boolean, yes: string, no: string): void {
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(`${ok ? yes : no}\n`);
}

export async function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}
