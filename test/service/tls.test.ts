// Issue 11, item 3: TLS for real. A private RabbitMQ node with a TLS listener and a throwaway CA
// made by openssl (test/support/pki.ts): the broker's certificate verified, a wrong CA refused
// with a one-line error that names the fix, a client certificate required by the broker, and
// EXTERNAL authentication by that certificate. HTTPS to an OTLP receiver with a private CA, and
// mutual TLS. (Keystone behind HTTPS with its own CA: test/e2e/replicas.test.ts, the real one.)
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { withNewId } from '../support/messages.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { makePki, type Pki } from '../support/pki.js';
import { freePort, PrivateRabbit } from '../support/private-rabbit.js';
import { Broker, testNames } from '../support/rabbit.js';
import { cases } from '../support/testdata.js';

const sample = cases('samples').find((c) => c.name.startsWith('keystone-authenticate-success'))!.body.toString();

/** The broker runs as the rabbitmq user: it must read the CA, its certificate and its key. */
function readableByBroker(pki: Pki): void {
  chmodSync(pki.dir, 0o755);
  for (const f of readdirSync(pki.dir)) chmodSync(join(pki.dir, f), 0o644);
}

describe('TLS to a real RabbitMQ and a real HTTPS endpoint', () => {
  let pki: Pki;
  let other: Pki;
  let node: PrivateRabbit;
  let tlsPort: number;
  let broker: Broker;
  const running: ExporterProcess[] = [];

  beforeAll(async () => {
    pki = makePki('cadf-tls');
    other = makePki('cadf-other');
    readableByBroker(pki);
    tlsPort = await freePort();
    node = await PrivateRabbit.start('tls', {
      extraConfig: [
        `listeners.ssl.default = 127.0.0.1:${tlsPort}`,
        `ssl_options.cacertfile = ${pki.caCert}`,
        `ssl_options.certfile = ${pki.serverCert}`,
        `ssl_options.keyfile = ${pki.serverKey}`,
        'ssl_options.verify = verify_peer',
        // A client without a certificate from this CA does not get in.
        'ssl_options.fail_if_no_peer_cert = true',
        'auth_mechanisms.1 = PLAIN',
        'auth_mechanisms.2 = EXTERNAL',
        'ssl_cert_login_from = common_name',
      ],
      files: { enabled_plugins: '[rabbitmq_auth_mechanism_ssl].\n' },
    });
    // The client certificate's common name is a user with no password: EXTERNAL only.
    await node.ctl('add_user', 'prometheus', 'unused-password');
    await node.ctl('clear_password', 'prometheus');
    await node.ctl('set_permissions', '-p', '/', 'prometheus', '.*', '.*', '.*');
    broker = await Broker.connect(node.url); // the test publishes on the plain listener
  }, 180_000);

  afterAll(async () => {
    for (const p of running) await p.stop();
    await broker?.conn.close().catch(() => undefined);
    await node?.stop();
    pki?.remove();
    other?.remove();
  }, 60_000);

  const spawn = (env: Record<string, string>): ExporterProcess => {
    const p = ExporterProcess.spawn(env);
    running.push(p);
    return p;
  };

  async function flows(names: ReturnType<typeof testNames>, p: ExporterProcess, receiver: OtlpReceiver): Promise<void> {
    await p.waitReady(30_000);
    const sent = withNewId(sample);
    await broker.publish(names.exchanges[0]!, [sent.body]);
    await waitFor(() => receiver.accepted.some((r) => r.attributes['log.record.uid'] === sent.id), 20_000, () => p.stderr.slice(-3000));
  }

  it('verifies the broker with the CA, presents a client certificate, and exports over HTTPS with a private CA', async () => {
    const names = testNames('tls-ok');
    for (const x of names.exchanges) await broker.declareLikeOslo(x);
    const receiver = new OtlpReceiver({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) });
    await receiver.listen();
    const p = spawn(
      ExporterProcess.envFor(names, receiver.url, {
        CADF_AMQP_URL: `amqps://guest:guest@127.0.0.1:${tlsPort}/`,
        CADF_AMQP_TLS_CA: pki.caCert,
        CADF_AMQP_TLS_CERT: pki.clientCert,
        CADF_AMQP_TLS_KEY: pki.clientKey,
        OTEL_EXPORTER_OTLP_CERTIFICATE: pki.caCert,
      }),
    );
    await flows(names, p, receiver);
    expect(p.stderr).not.toMatch(/DEP0123|DeprecationWarning/); // no IP address as SNI
    await p.stop();
    await receiver.close();
  }, 60_000);

  it('refuses a broker its CA did not sign, with one line that names the setting', async () => {
    const names = testNames('tls-wrong-ca');
    const p = spawn(
      ExporterProcess.envFor(names, undefined, {
        CADF_AMQP_URL: `amqps://guest:guest@127.0.0.1:${tlsPort}/`,
        CADF_AMQP_TLS_CA: other.caCert,
        CADF_AMQP_TLS_CERT: pki.clientCert,
        CADF_AMQP_TLS_KEY: pki.clientKey,
      }),
    );
    await waitFor(() => /cannot connect to RabbitMQ/.test(p.stderr), 20_000, () => p.stderr);
    const line = p.stderr.split('\n').find((l) => l.includes('cannot connect to RabbitMQ'))!;
    expect(line).toContain("TLS: the broker's certificate is not signed by a trusted CA");
    expect(line).toContain('CADF_AMQP_TLS_CA');
    expect((await p.get('/readyz')).status).toBe(503);
    await p.stop();
  }, 60_000);

  it('is refused by a broker that requires a client certificate when it has none', async () => {
    const names = testNames('tls-no-cert');
    const p = spawn(
      ExporterProcess.envFor(names, undefined, { CADF_AMQP_URL: `amqps://guest:guest@127.0.0.1:${tlsPort}/`, CADF_AMQP_TLS_CA: pki.caCert }),
    );
    await waitFor(() => /cannot connect to RabbitMQ/.test(p.stderr), 20_000, () => p.stderr);
    const line = p.stderr.split('\n').find((l) => l.includes('cannot connect to RabbitMQ'))!;
    expect(line).toMatch(/TLS: the broker refused the handshake.*CADF_AMQP_TLS_CERT/);
    expect((await p.get('/readyz')).status).toBe(503);
    await p.stop();
  }, 60_000);

  it('authenticates with the client certificate (EXTERNAL) when the URL has no user', async () => {
    const names = testNames('tls-external');
    for (const x of names.exchanges) await broker.declareLikeOslo(x);
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const p = spawn(
      ExporterProcess.envFor(names, receiver.url, {
        CADF_AMQP_URL: `amqps://127.0.0.1:${tlsPort}/`,
        CADF_AMQP_TLS_CA: pki.caCert,
        CADF_AMQP_TLS_CERT: pki.clientCert,
        CADF_AMQP_TLS_KEY: pki.clientKey,
      }),
    );
    await flows(names, p, receiver);
    const users = await node.ctl('list_connections', 'user', 'auth_mechanism', 'ssl');
    expect(users).toMatch(/prometheus\s+EXTERNAL\s+true/);
    await p.stop();
    await receiver.close();
  }, 60_000);

  it('exports to an endpoint that wants a client certificate (mutual TLS), and holds the records while it has none', async () => {
    const names = testNames('tls-mtls');
    for (const x of names.exchanges) await broker.declareLikeOslo(x);
    const receiver = new OtlpReceiver({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey), ca: readFileSync(pki.caCert), requestCert: true });
    await receiver.listen();
    const base = ExporterProcess.envFor(names, receiver.url, { CADF_AMQP_URL: node.url, OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE: pki.caCert });

    // No client certificate: the endpoint refuses every handshake; nothing is lost, the message waits.
    const without = spawn(base);
    await without.waitReady();
    const sent = withNewId(sample);
    await broker.publish(names.exchanges[0]!, [sent.body]);
    await waitFor(() => /export failed/.test(without.stderr), 20_000, () => without.stderr.slice(-3000));
    expect(receiver.accepted).toHaveLength(0);
    await without.stop();
    expect(await broker.messageCount(names.queue)).toBe(1);

    const withCert = spawn({ ...base, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: pki.clientCert, OTEL_EXPORTER_OTLP_CLIENT_KEY: pki.clientKey });
    await withCert.waitReady();
    await waitFor(() => receiver.accepted.some((r) => r.attributes['log.record.uid'] === sent.id), 20_000, () => withCert.stderr.slice(-3000));
    await withCert.stop();
    await receiver.close();
  }, 90_000);
});
