import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import type { CommandIO } from '../../src/commands/io.js';
import { TESTDATA } from '../support/testdata.js';

const run = promisify(execFile);
const ROOT = join(TESTDATA, '..', '..');

function io(stdin = ''): CommandIO & { out: string; err: string } {
  const o = {
    out: '',
    err: '',
    stdout: (t: string) => {
      o.out += t;
    },
    stderr: (t: string) => {
      o.err += t;
    },
    readStdin: () => Promise.resolve(Buffer.from(stdin)),
  };
  return o;
}

const sample = join(TESTDATA, 'samples', 'keystone-user-created-global-request-id.json');
const bad = join(TESTDATA, 'errors', 'invalid_utf8-bad-bytes.bin');

describe('cadf-exporter inspect', () => {
  it('prints one JSON object per file and exits 0 when all decode', async () => {
    const t = io();
    expect(await main(['inspect', sample, sample], t)).toBe(0);
    const lines = t.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ source: sample, eventName: 'identity.user.created', severityText: 'INFO' });
    expect(lines[0].metrics).toContainEqual({ name: 'cadf_identity_operations_total', labels: { resource_type: 'user', operation: 'created', outcome: 'success' } });
  });

  it('exits 1 when any message fails, printing its error', async () => {
    const t = io();
    expect(await main(['inspect', sample, bad], t)).toBe(1);
    const last = JSON.parse(t.out.trim().split('\n')[1]!);
    expect(last).toEqual({ source: bad, error: { code: 'invalid_utf8', message: 'body is not valid UTF-8' } });
  });

  it('--lines reads one body per line from stdin, numbering sources', async () => {
    const t = io('{"event_type": "identity.user.deleted", "payload": {"resource_info": "u1"}}\r\n\nnot json\n');
    expect(await main(['inspect', '--lines'], t)).toBe(1);
    const out = t.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.map((o) => o.source)).toEqual(['stdin:1', 'stdin:3']);
    expect(out[1].error.code).toBe('invalid_json');
  });

  it('exits 2 on usage errors', async () => {
    const t = io();
    expect(await main(['inspect', '--nope'], t)).toBe(2);
    expect(t.err).toContain("Unknown option '--nope'");
    expect(await main(['inspect', '/no/such/file'], io())).toBe(2);
    expect(await main(['frobnicate'], io())).toBe(2);
  });

  it('works as a real process (bin entry point, stdin, exit status)', async () => {
    const cli = join(ROOT, 'src', 'cli.ts');
    const ok = await run(process.execPath, ['--import', 'tsx', cli, 'inspect', sample], { cwd: ROOT });
    expect(JSON.parse(ok.stdout).eventName).toBe('identity.user.created');
    const failed = await run(process.execPath, ['--import', 'tsx', cli, 'inspect', bad], { cwd: ROOT }).catch((e: { code: number; stdout: string }) => e);
    expect('code' in failed ? failed.code : 0).toBe(1);
  });
});
