// The database drivers and the SDK's serializers are loaded when they are used, not at start:
// together about 4 MB of heap and 9 MB of RSS that a process without a shared store, on the
// default http/protobuf path, would otherwise carry for nothing (docs/performance.md).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** The node_modules packages loaded after `script` ran in a fresh process. */
async function packagesAfter(script: string): Promise<string[]> {
  const code = `
    import { createRequire } from 'node:module';
    ${script}
    const cache = createRequire(import.meta.url).cache;
    const seen = new Set();
    for (const k of Object.keys(cache)) {
      const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(k);
      if (m) seen.add(m[1]);
    }
    console.log(JSON.stringify([...seen]));`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
}

describe('what start-up loads', () => {
  it('the app loads neither database driver nor the OTLP transformer', async () => {
    const loaded = await packagesAfter(`await import('./src/app.ts');`);
    expect(loaded).toContain('amqplib'); // the probe sees packages at all
    expect(loaded).not.toContain('mysql2');
    expect(loaded).not.toContain('pg');
    expect(loaded).not.toContain('@opentelemetry/otlp-transformer');
  });

  it('opening a store loads its driver, and only that one', async () => {
    const loaded = await packagesAfter(`
      const { openSqlClient } = await import('./src/enrich/sql-client.ts');
      const db = openSqlClient({ url: 'postgres://nobody@127.0.0.1:1/none', timeoutMs: 100, onIdleError: () => undefined });
      await db.close();`);
    expect(loaded).toContain('pg');
    expect(loaded).not.toContain('mysql2');
  });

  it('an http/json exporter loads the serializer when it encodes', async () => {
    const loaded = await packagesAfter(`
      const { createExporter } = await import('./src/sinks/otlp/exporter.ts');
      const { resourceFromAttributes } = await import('@opentelemetry/resources');
      const e = createExporter({ url: 'http://127.0.0.1:1/v1/logs', protocol: 'http/json', headers: {}, compression: 'none' }, resourceFromAttributes({}), { name: 's', version: '1' }, process.stdout);
      await e.send({ records: [{ eventName: 'e', timestamp: [1, 0], severityNumber: 9, severityText: 'INFO', body: 'b', attributes: {} }], observed: [[1, 0]] }, 200);
      await e.shutdown();`);
    expect(loaded).toContain('@opentelemetry/otlp-transformer');
  });
});
