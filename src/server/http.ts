import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Registry } from 'prom-client';
import { BasicAuth } from './auth.js';
import type { TlsServerConfig, WebConfig } from './web-config.js';

export interface Probes {
  /** The process is alive and not shutting down. */
  healthy(): boolean;
  /** Every source connected and consuming (or watching). */
  ready(): boolean;
  /** Each source's state, for the /readyz body: which broker is down. */
  sources?(): ReadonlyArray<{ readonly name: string; readonly ready: boolean }>;
}

export interface MetricsServer {
  readonly server: Server | HttpsServer;
  readonly scheme: 'http' | 'https';
  /**
   * Takes a re-read web config (SIGHUP): users, headers, certificate, key and CA apply to new
   * connections and requests. Turning TLS on or off or changing client_auth_type needs a restart;
   * that is refused with an Error and the old config stays.
   */
  reload(web: WebConfig): void;
}

const OPEN: WebConfig = { tls: undefined, users: new Map(), headers: {} };

/**
 * One small server: /metrics (Prometheus text), /healthz and /readyz (200 or 503). With a web
 * config, all three are behind the same TLS and basic auth: a probe is as telling as /metrics
 * (which broker is down), and one rule is easier to reason about than two.
 */
export function createMetricsServer(registry: Registry, probes: Probes, web: WebConfig = OPEN): MetricsServer {
  let auth = new BasicAuth(web.users);
  let headers = web.headers;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (!auth.enabled) {
      route(req, res, registry, probes);
      return;
    }
    auth.check(req.headers.authorization).then(
      (ok) => {
        if (ok) route(req, res, registry, probes);
        else res.writeHead(401, { 'www-authenticate': 'Basic', 'content-type': 'text/plain' }).end('Unauthorized\n');
      },
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('basic auth check failed\n'),
    );
  };
  const tls = web.tls;
  if (tls === undefined) {
    return {
      server: createServer(handler),
      scheme: 'http',
      reload(next) {
        if (next.tls !== undefined) throw new Error('tls_server_config was added: restart the exporter to turn TLS on');
        auth = new BasicAuth(next.users);
        headers = next.headers;
      },
    };
  }
  const server = createHttpsServer(tlsOptions(tls), handler);
  // Go's crypto/tls refuses these in the handshake; Node can only ask, so the connection is
  // dropped right after it when the client's certificate does not satisfy client_auth_type.
  server.on('secureConnection', (socket: TLSSocket) => {
    if (!clientCertAccepted(tls, socket)) socket.destroy();
  });
  return {
    server,
    scheme: 'https',
    reload(next) {
      if (next.tls === undefined) throw new Error('tls_server_config was removed: restart the exporter to turn TLS off');
      if (next.tls.clientAuthType !== tls.clientAuthType) throw new Error('tls_server_config.client_auth_type changed: restart the exporter to apply it');
      server.setSecureContext(tlsOptions(next.tls));
      auth = new BasicAuth(next.users);
      headers = next.headers;
    },
  };
}

function tlsOptions(tls: TlsServerConfig): ServerOptions {
  const ask = tls.clientAuthType !== 'NoClientCert';
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    requestCert: ask,
    rejectUnauthorized: tls.clientAuthType === 'RequireAndVerifyClientCert',
  };
}

function clientCertAccepted(tls: TlsServerConfig, socket: TLSSocket): boolean {
  const given = Object.keys(socket.getPeerCertificate()).length > 0;
  switch (tls.clientAuthType) {
    case 'RequireAnyClientCert':
      return given;
    case 'VerifyClientCertIfGiven':
      return !given || socket.authorized;
    case 'RequireAndVerifyClientCert':
      return given && socket.authorized;
    default:
      return true;
  }
}

function route(req: IncomingMessage, res: ServerResponse, registry: Registry, probes: Probes): void {
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
}

/** The open server (no web config), as before. */
export function createHttpServer(registry: Registry, probes: Probes): Server {
  return createMetricsServer(registry, probes).server;
}

function probe(res: ServerResponse, ok: boolean, yes: string, no: string): void {
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(`${ok ? yes : no}\n`);
}

export async function listen(server: NetServer, host: string, port: number): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}
