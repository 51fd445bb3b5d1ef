import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectMessage } from '../../src/commands/inspect.js';
import { DECODE_ERROR_CODES } from '../../src/cadf/errors.js';
import { cases, golden, SAMPLES, SHARED_SAMPLES } from '../support/testdata.js';

describe.each(['samples', 'cornercases', 'errors'])('golden %s', (dir) => {
  it.each(cases(dir).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const actual = inspectMessage(c.name, c.body, c.exchange ? { exchange: c.exchange } : undefined);
    expect(actual).toEqual(golden(c.expectedFile, actual));
  });
});

describe('golden coverage', () => {
  it('every error case file is named after the code it produces', () => {
    for (const c of cases('errors')) {
      const out = inspectMessage(c.name, c.body);
      expect('error' in out, c.name).toBe(true);
      if ('error' in out) expect(c.name.startsWith(`${out.error.code}-`), c.name).toBe(true);
    }
  });

  it('has a golden case for every error code input can produce', () => {
    const covered = new Set(cases('errors').map((c) => c.name.split('-')[0]));
    // `internal` is the decoder's own bug guard: no input reaches it (see decode.test.ts).
    expect([...covered].sort()).toEqual(DECODE_ERROR_CODES.filter((c) => c !== 'internal').sort());
  });

  it('holds every sample its INDEX names, byte-identical to ../shared when that is beside the repo', () => {
    const ours = readdirSync(SAMPLES);
    const indexed = readFileSync(join(SAMPLES, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[0]!);
    expect(indexed.length).toBeGreaterThan(70);
    expect(ours).toEqual(expect.arrayContaining(indexed));
    // CI and developer machines have ../shared: there every shared file must be copied unchanged.
    // A clone on its own has only the copies, checked against their INDEX above.
    if (!existsSync(SHARED_SAMPLES)) return;
    for (const f of readdirSync(SHARED_SAMPLES)) {
      if (!f.endsWith('.json') && f !== 'INDEX.tsv') continue;
      expect(ours, `copy ${f} into test/testdata/samples`).toContain(f);
      expect(readFileSync(join(SAMPLES, f)).equals(readFileSync(join(SHARED_SAMPLES, f))), f).toBe(true);
    }
  });

});
