// A bad web config stops the exporter before it listens: exit 1, one line naming the key. SIGHUP
// re-reads it in the running process.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
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

describe('SIGHUP', () => {
  it('re-reads the web config; a bad one is logged and the running one stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadf-hupweb-'));
    const file = join(dir, 'web.yml');
    writeFileSync(file, `basic_auth_users:\n  prometheus: '${bcrypt.hashSync('one', 4)}'\n`);
    const p = ExporterProcess.spawn(ExporterProcess.envFor(testNames('hupweb'), undefined, { CADF_WEB_CONFIG_FILE: file }));
    try {
      const port = await p.waitStarted();
      const status = async (password: string): Promise<number> =>
        (await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}` } })).status;
      expect(await status('one')).toBe(200);
      writeFileSync(file, `basic_auth_users:\n  prometheus: '${bcrypt.hashSync('two', 4)}'\n`);
      p.child.kill('SIGHUP');
      await waitFor(() => p.stderr.includes('web config reloaded'), 10_000, () => p.stderr);
      expect(await status('one')).toBe(401);
      expect(await status('two')).toBe(200);
      writeFileSync(file, 'basic_auth_users:\n  prometheus: plaintext\n');
      p.child.kill('SIGHUP');
      await waitFor(() => p.stderr.includes('web config not reloaded'), 10_000, () => p.stderr);
      expect(await status('two')).toBe(200);
    } finally {
      await p.stop();
    }
  }, 30_000);
});
