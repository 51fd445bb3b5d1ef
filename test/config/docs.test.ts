import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationMarkdown } from '../../src/config/docs.js';
import { listSettings } from '../../src/config/load.js';

describe('docs/configuration.md', () => {
  it('is what the schema generates (run `npm run docs:config` after changing the schema)', () => {
    expect(readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')).toBe(configurationMarkdown());
  });

  it('gives every setting a doc, an env var and a flag', () => {
    for (const s of listSettings()) {
      expect(s.doc.length, s.key).toBeGreaterThan(10);
      expect(s.env, s.key).toMatch(/^(CADF|OTEL)_[A-Z_]+$/);
      expect(s.arg, s.key).toMatch(/^[a-z-]+$/);
    }
  });
});
