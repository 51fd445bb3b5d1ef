// A bad web config stops the exporter before it listens: exit 1, one line naming the key.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExporterProcess } from '../support/exporter.js';
import { testNames } from '../support/rabbit.js';

describe('exporter start with a bad web config', () => {
  it('exits 1 with the key and the fix, and never listens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadf-badweb-'));
    const file = join(dir, 'web.yml');
    writeFileSync(file, 'basic_auth_users:\n  prometheus: plaintext-password\n');
    const p = ExporterProcess.spawn(ExporterProcess.envFor(testNames('badweb'), undefined, { CADF_WEB_CONFIG_FILE: file }));
    expect(await p.exited).toBe(1);
    expect(p.stderr).toMatch(/cadf-exporter: cannot start: .*web\.yml: basic_auth_users\.prometheus: is not a bcrypt hash/);
    expect(p.stderr).not.toContain('started');
  }, 30_000);
});
