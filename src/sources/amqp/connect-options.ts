import { readFileSync } from 'node:fs';
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
    return {
      url: url.toString(),
      address: redactUrl(`${url.protocol}//${url.host}${url.pathname}`),
      socketOptions: {
        ...(secure ? tls : {}),
        ...(secure ? { servername: url.hostname } : {}),
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
