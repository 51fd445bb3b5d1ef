// Each client_auth_type against a real TLS client (node:https), in process: which handshakes get
// an answer with no client certificate, this CA's and another CA's. Plus a SIGHUP-style reload.
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createMetricsServer, listen, type MetricsServer } from '../../src/server/http.js';
import { parseWebConfig, type ClientAuthType } from '../../src/server/web-config.js';
import { makePki } from '../support/pki.js';

const pki = makePki('cadf-modes');
const other = makePki('cadf-modes-other');
afterAll(() => {
  pki.remove();
  other.remove();
});
const probes = { healthy: () => true, ready: () => true };

type Client = 'none' | 'ours' | 'foreign';

/** The HTTP status, or 0 when the connection was refused or dropped. */
function get(port: number, client: Client, auth?: string): Promise<number> {
  const cert = client === 'ours' ? pki : client === 'foreign' ? other : undefined;
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/healthz',
        ca: readFileSync(pki.caCert),
        ...(cert !== undefined ? { cert: readFileSync(cert.clientCert), key: readFileSync(cert.clientKey) } : {}),
        headers: auth !== undefined ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {},
        agent: false,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function serve(type: ClientAuthType, users: Record<string, string> = {}): Promise<{ m: MetricsServer; port: number }> {
  const web = parseWebConfig({ tls_server_config: { cert_file: pki.serverCert, key_file: pki.serverKey, client_ca_file: pki.caCert, client_auth_type: type }, basic_auth_users: users }, pki.dir);
  const m = createMetricsServer(new Registry(), probes, web);
  const port = (await listen(m.server, '127.0.0.1', 0)).port;
  return { m, port };
}

const EXPECTED: Record<ClientAuthType, Record<Client, number>> = {
  NoClientCert: { none: 200, ours: 200, foreign: 200 },
  RequestClientCert: { none: 200, ours: 200, foreign: 200 },
  RequireAnyClientCert: { none: 0, ours: 200, foreign: 200 },
  VerifyClientCertIfGiven: { none: 200, ours: 200, foreign: 0 },
  RequireAndVerifyClientCert: { none: 0, ours: 200, foreign: 0 },
};

describe('client_auth_type', () => {
  for (const [type, want] of Object.entries(EXPECTED) as Array<[ClientAuthType, Record<Client, number>]>) {
    it(type, async () => {
      const { m, port } = await serve(type);
      try {
        const got = { none: await get(port, 'none'), ours: await get(port, 'ours'), foreign: await get(port, 'foreign') };
        expect(got).toEqual(want);
      } finally {
        m.server.close();
      }
    });
  }
});

describe('reload', () => {
  it('a new user list applies to the next request; turning TLS off is refused', async () => {
    const { m, port } = await serve('NoClientCert', { alice: bcrypt.hashSync('one', 4) });
    try {
      expect(await get(port, 'none', 'alice:one')).toBe(200);
      m.reload(parseWebConfig({ tls_server_config: { cert_file: pki.serverCert, key_file: pki.serverKey }, basic_auth_users: { alice: bcrypt.hashSync('two', 4) } }, pki.dir));
      expect(await get(port, 'none', 'alice:one')).toBe(401);
      expect(await get(port, 'none', 'alice:two')).toBe(200);
      expect(() => m.reload(parseWebConfig({}, pki.dir))).toThrow(/restart the exporter to turn TLS off/);
      expect(await get(port, 'none', 'alice:two')).toBe(200);
    } finally {
      m.server.close();
    }
  });
});
