import type { Config } from './schema.js';

const MASK = '***';

/**
 * A URL as it may be printed: the password masked (`amqp://user:***@host/`), a user name that
 * stands alone masked too (`https://***@gateway/`: gateways take a token as the user name), and
 * the values of a query string (`?api_key=***`). Anything unparsable is masked whole.
 */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password !== '') url.password = MASK;
    else if (url.username !== '') url.username = MASK;
    if (url.search !== '') {
      const masked = [...url.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=${MASK}`).join('&');
      url.search = masked;
    }
    return url.toString();
  } catch {
    return MASK;
  }
}

const optionalUrl = (u: string): string => (u === '' ? '' : redactUrl(u));
const optionalSecret = (s: string): string => (s === '' ? '' : MASK);

/**
 * The configuration as it may be printed or logged: every setting the schema marks sensitive,
 * URLs keeping all but their secrets, header values and passwords masked whole.
 * test/security/no-secrets.test.ts holds that no sensitive setting is left out.
 */
export function redactConfig(c: Config): unknown {
  return {
    ...c,
    amqp: { ...c.amqp, url: c.amqp.url.map(redactUrl), brokers: c.amqp.brokers.map((b) => ({ ...b, url: b.url.map(redactUrl) })) },
    otlp: {
      ...c.otlp,
      endpoint: optionalUrl(c.otlp.endpoint),
      logsEndpoint: optionalUrl(c.otlp.logsEndpoint),
      headers: Object.fromEntries(Object.keys(c.otlp.headers).map((k) => [k, MASK])),
    },
    notify: { ...c.notify, alertmanagerUrl: c.notify.alertmanagerUrl.map(redactUrl) },
    enrich: { ...c.enrich, storeUrl: optionalUrl(c.enrich.storeUrl) },
    keystone: {
      ...c.keystone,
      url: optionalUrl(c.keystone.url),
      password: optionalSecret(c.keystone.password),
      applicationCredentialSecret: optionalSecret(c.keystone.applicationCredentialSecret),
    },
  };
}
