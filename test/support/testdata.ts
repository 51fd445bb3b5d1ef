import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', 'testdata');
export const SAMPLES = join(TESTDATA, 'samples');
/** The shared sample corpus beside the repo (present in CI and on developer machines). */
export const SHARED_SAMPLES = join(TESTDATA, '..', '..', '..', 'shared', 'cadf-samples');

export interface Case {
  readonly dir: string;
  readonly name: string;
  readonly file: string;
  readonly body: Buffer;
  readonly expectedFile: string;
  readonly exchange?: string;
}

/** Input files of a testdata folder: every file but the `.expected.json` beside it and INDEX.tsv. */
export function cases(dir: string): Case[] {
  const base = join(TESTDATA, dir);
  const index = sampleIndex();
  return readdirSync(base)
    .filter((f) => !f.endsWith('.expected.json') && f !== 'INDEX.tsv' && f !== 'README.md')
    .sort()
    .map((f) => {
      const raw = readFileSync(join(base, f));
      return {
        dir,
        name: f,
        file: join(base, f),
        body: f.endsWith('.gz') ? gunzipSync(raw) : raw,
        expectedFile: join(base, `${f.replace(/\.(json|bin|bin\.gz)$/, '')}.expected.json`),
        exchange: dir === 'samples' ? index.get(f)?.exchange : undefined,
      };
    });
}

export interface IndexRow {
  readonly file: string;
  readonly eventType: string;
  readonly outcome: string;
  readonly reasonCode: string;
  readonly exchange: string | undefined;
}

/** INDEX.tsv of the sample corpus: file -> event_type, outcome, reasonCode, exchange. */
export function sampleIndex(): Map<string, IndexRow> {
  const lines = readFileSync(join(SAMPLES, 'INDEX.tsv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split('\t');
  const col = (name: string): number => header.indexOf(name);
  const rows = new Map<string, IndexRow>();
  for (const line of lines.slice(1)) {
    const c = line.split('\t');
    rows.set(c[col('file')]!, {
      file: c[col('file')]!,
      eventType: c[col('event_type')]!,
      outcome: c[col('outcome')]!,
      reasonCode: c[col('reasonCode')]!,
      exchange: c[col('exchange')] || undefined,
    });
  }
  return rows;
}

/** Compares with the committed expectation; UPDATE_GOLDEN=1 writes it instead (then check by hand). */
export function golden(file: string, actual: unknown): unknown {
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
  if (!existsSync(file)) throw new Error(`missing golden file ${file}: run with UPDATE_GOLDEN=1 and review it`);
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}
