import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import amqp from 'amqplib';
import type { Config } from '../../config/schema.js';
import { redactUrl } from '../../config/redact.js';

type AmqpConfig = Pick<Config['amqp'], 'url' | 'heartbeatSeconds' | 'tls'>;

export interface BrokerTarget {
  /** The URL to connect to, heartbeat included. */
  readonly url: string;
  /** For logs: scheme, host and port, never the password. */
  readonly address: string;
  readonly socketOptions: Record<string, unknown>;
}

export function brokerTargets(cfg: AmqpConfig): BrokerTarget[] {
  const tls = tlsOptions(cfg);
  return cfg.url.map((raw) => {
    const url = new URL(raw);
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(cfg.heartbeatSeconds));
    const secure = url.protocol === 'amqps:';
    // A client certificate and no user in the URL: authenticate with the certificate (SASL
    // EXTERNAL, RabbitMQ's rabbitmq_auth_mechanism_ssl), not as amqplib's default guest.
    const external = secure && cfg.tls.cert !== '' && url.username === '';
    return {
      url: url.toString(),
      address: redactUrl(`${url.protocol}//${url.host}${url.pathname}`),
      socketOptions: {
        ...(secure ? tls : {}),
        // SNI takes host names only (RFC 6066); Node warns about an IP address there.
        ...(secure && isIP(url.hostname) === 0 ? { servername: url.hostname } : {}),
        ...(external ? { credentials: amqp.credentials.external() } : {}),
        timeout: 10_000,
        clientProperties: { connection_name: 'cadf-exporter' },
      },
    };
  });
}

function tlsOptions(cfg: AmqpConfig): Record<string, unknown> {
  const t = cfg.tls;
  return {
    ...(t.ca !== '' ? { ca: [readFileSync(t.ca)] } : {}),
    ...(t.cert !== '' ? { cert: readFileSync(t.cert) } : {}),
    ...(t.key !== '' ? { key: readFileSync(t.key) } : {}),
    rejectUnauthorized: t.verify,
  };
}
