import type { Config } from './schema.js';

const MASK = '***';

/** `amqp://user:secret@host/` -> `amqp://user:***@host/`; anything unparsable is masked whole. */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password !== '') url.password = MASK;
    return url.toString();
  } catch {
    return MASK;
  }
}

/** The configuration as it may be printed or logged: URL passwords and header values masked. */
export function redactConfig(c: Config): unknown {
  return {
    ...c,
    amqp: { ...c.amqp, url: c.amqp.url.map(redactUrl), brokers: c.amqp.brokers.map((b) => ({ ...b, url: b.url.map(redactUrl) })) },
    otlp: {
      ...c.otlp,
      endpoint: c.otlp.endpoint === '' ? '' : redactUrl(c.otlp.endpoint),
      logsEndpoint: c.otlp.logsEndpoint === '' ? '' : redactUrl(c.otlp.logsEndpoint),
      headers: Object.fromEntries(Object.keys(c.otlp.headers).map((k) => [k, MASK])),
    },
    notify: { ...c.notify, alertmanagerUrl: c.notify.alertmanagerUrl.map(redactUrl) },
    enrich: { ...c.enrich, storeUrl: c.enrich.storeUrl === '' ? '' : redactUrl(c.enrich.storeUrl) },
    keystone: {
      ...c.keystone,
      url: c.keystone.url === '' ? '' : redactUrl(c.keystone.url),
      password: c.keystone.password === '' ? '' : MASK,
      applicationCredentialSecret: c.keystone.applicationCredentialSecret === '' ? '' : MASK,
    },
  };
}
