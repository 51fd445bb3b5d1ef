import { listSettings } from './load.js';
import { redactUrl } from './redact.js';

/** docs/configuration.md, generated from the schema (npm run docs:config). */
export function configurationMarkdown(): string {
  const rows = listSettings().map((s) => {
    const def = JSON.stringify(
      s.sensitive && Array.isArray(s.default) ? s.default.map((u) => redactUrl(String(u))) : s.default,
    );
    const env = [s.env, s.envFallback, s.sensitive && s.env !== undefined ? `${s.env}_FILE` : undefined]
      .filter((e): e is string => typeof e === 'string')
      .map((e) => `\`${e}\``)
      .join(' or ');
    const flag = s.arg !== undefined ? `\`--${s.arg}\`` : '';
    const doc = `${s.sensitive ? '*secret* ' : ''}${s.doc.replace(/\|/g, '\\|')}`;
    return `| \`${s.key}\` | ${env} | ${flag} | \`${def}\` | ${s.format} | ${doc} |`;
  });
  return `# Configuration

<!-- Generated from src/config/schema.ts by \`npm run docs:config\`; test/config/docs.test.ts keeps it current. -->

Every setting has a default, an environment variable and a command-line flag. Layers, each
overriding the one before:

1. the defaults below (the schema in \`src/config/schema.ts\`);
2. \`config/default.json\` (site-wide overrides shipped with the installation);
3. a JSON file given by \`--config FILE\` or \`CADF_CONFIG\`;
4. environment variables;
5. flags: \`cadf-exporter run --amqp-prefetch 500\`.

Files use the nested keys: \`{"amqp": {"prefetch": 500}}\`. Unknown keys and invalid values stop the
exporter at start with a message that names the key, the value, where it came from and what is
allowed. \`cadf-exporter config\` prints the effective configuration with passwords and header
values masked. Lists are comma-separated in env vars and flags (\`CADF_AMQP_EXCHANGES=keystone,nova\`);
key/value maps are \`key=value,key2=value2\` with percent-encoded values, as OpenTelemetry's own
\`OTEL_EXPORTER_OTLP_HEADERS\` and \`OTEL_RESOURCE_ATTRIBUTES\`.

OpenTelemetry's variables follow its specification: the logs-specific one
(\`OTEL_EXPORTER_OTLP_LOGS_HEADERS\`) wins over the generic one (\`OTEL_EXPORTER_OTLP_HEADERS\`), and
a value is taken whole from one of them, never merged. Every OTLP setting the OpenTelemetry SDK
would read from the environment is a setting below, shown by \`cadf-exporter config\`; nothing else
reads the environment. (\`OTEL_BLRP_*\` do not apply: batching is \`otlp.batch*\`.)

Every secret (the settings marked *secret* below: URLs that may carry a password, headers,
passwords) can also be read from a file named by the same variable with \`_FILE\` appended, as
Docker and Kubernetes secrets are mounted: \`CADF_KEYSTONE_PASSWORD_FILE=/run/secrets/keystone\`. One
trailing newline is dropped; setting both the variable and its \`_FILE\` is an error. Secrets are
never printed: not in logs, errors, \`/metrics\` or \`cadf-exporter config\`.

| key | env | flag | default | allowed | meaning |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}
