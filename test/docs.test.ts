// The reference docs are kept true by these tests: a key or metric added in code and not in docs
// (or the reverse) fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ATTR } from '../src/cadf/attributes.js';
import { DECODE_ERROR_CODES } from '../src/cadf/errors.js';
import { EVENT_METRICS } from '../src/cadf/metrics.js';
import { DELIVERY_ERROR_CODES } from '../src/pipeline/export-loop.js';
import { FILE_METRICS } from '../src/sources/file/metrics.js';
import { HEALTH_METRICS } from '../src/telemetry/health.js';

const ALL_METRICS = [...Object.values(EVENT_METRICS), ...Object.values(HEALTH_METRICS), ...Object.values(FILE_METRICS)];

/** First-column backticked names of the markdown table rows in a doc. */
function tableKeys(doc: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of readFileSync(new URL(`../docs/${doc}`, import.meta.url), 'utf8').split('\n')) {
    const m = /^\| `([^`]+)` \|(.*)$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.split('|').map((c) => c.trim()));
  }
  return rows;
}

describe('docs/attributes.md', () => {
  const documented = tableKeys('attributes.md');
  it('documents every attribute key the code can emit, and no other', () => {
    const inCode = new Set<string>(Object.values(ATTR));
    const attrRows = [...documented.keys()].filter((k) => /^[a-z_]+(\.[a-z_]+)+$/.test(k));
    expect(attrRows.sort()).toEqual([...inCode].sort());
  });
});

describe('docs/errors.md', () => {
  it('documents every decode and delivery error code, and no other', () => {
    expect([...tableKeys('errors.md').keys()].sort()).toEqual([...DECODE_ERROR_CODES, ...DELIVERY_ERROR_CODES].sort());
  });
});

describe('docs/metrics.md', () => {
  const documented = tableKeys('metrics.md');
  it.each(ALL_METRICS.map((m) => [m.name, m] as const))('documents %s with its labels', (name, m) => {
    const row = documented.get(name);
    expect(row, `${name} missing from docs/metrics.md`).toBeDefined();
    const labels = [...row![1]!.matchAll(/`([a-z_]+)`/g)].map((x) => x[1]);
    expect(labels).toEqual([...m.labelNames]);
  });
  it('documents no metric the code does not have', () => {
    const inCode = ALL_METRICS.map((m) => m.name as string);
    expect([...documented.keys()].filter((k) => !inCode.includes(k))).toEqual([]);
  });
});

describe('README.md', () => {
  it('names every production dependency, with why, and no other', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Dependencies'));
    const listed = [...section.matchAll(/^\| `([^`]+)` \| \S/gm)].map((m) => m[1]!);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(listed.sort()).toEqual(Object.keys(pkg.dependencies).sort());
  });
});
