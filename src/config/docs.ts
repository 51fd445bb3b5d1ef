import { listSettings } from './load.js';
import { redactUrl } from './redact.js';

/** docs/configuration.md, generated from the schema (npm run docs:config). */
export function configurationMarkdown(): string {
  const rows = listSettings().map((s) => {
    const def = JSON.stringify(
      s.sensitive && Array.isArray(s.default) ? s.default.map((u) => redactUrl(String(u))) : s.default,
    );
    const env = s.env !== undefined ? `\`${s.env}\`` : '';
    const flag = s.arg !== undefined ? `\`--${s.arg}\`` : '';
    return `| \`${s.key}\` | ${env} | ${flag} | \`${def}\` | ${s.format} | ${s.doc.replace(/\|/g, '\\|')} |`;
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

| key | env | flag | default | allowed | meaning |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}
