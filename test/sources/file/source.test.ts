import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decode } from '../../../src/cadf/index.js';
import { FileSource, type FileSourceOptions } from '../../../src/sources/file/source.js';
import type { Delivery } from '../../../src/sources/types.js';

const log = pino({ level: 'silent' });

function notification(i: number): string {
  const n = { message_id: `m-${i}`, publisher_id: 'identity.vm', event_type: 'identity.authenticate', priority: 'INFO', timestamp: '2026-12-02 05:09:35.314000', payload: { typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event', eventType: 'activity', id: `e-${i}`, eventTime: '2026-12-02T05:09:35.313000+0000', action: 'authenticate', outcome: 'success', initiator: { id: 'u', typeURI: 'service/security/account/user' }, target: { id: 't', typeURI: 'service/security/account/user' }, observer: { id: 'o', typeURI: 'service/security' } } };
  return `2026-12-02 05:09:35.314 3476 INFO oslo.messaging.notification.identity.authenticate [None req-${i} - - - - - -] ${JSON.stringify(n)}\n`;
}

const other = '2026-12-02 05:09:35.314 3476 INFO keystone.server [-] not a notification\n';

interface Run {
  readonly source: FileSource;
  readonly got: Delivery[];
  readonly ids: () => string[];
  readonly counts: { deadLettered: string[]; skipped: number };
}

const dirs: string[] = [];
const sources: FileSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'file-source-'));
  dirs.push(d);
  return d;
}

/** A source whose deliveries are settled by the test (auto: delivered at once). */
function run(dir: string, opts: Partial<FileSourceOptions> = {}, auto = true): Run {
  const counts = { deadLettered: [] as string[], skipped: 0 };
  const source = new FileSource(
    { name: 'file', paths: [join(dir, '*.log')], startAt: 'beginning', maxLineBytes: 4096, pollIntervalMs: 10, window: 100, dataDir: join(dir, 'data'), ...opts },
    log,
    { deadLettered: (c) => counts.deadLettered.push(c), deadLetterFailed: () => undefined, read: () => undefined, skipped: () => (counts.skipped += 1) },
  );
  sources.push(source);
  const got: Delivery[] = [];
  source.start((d) => {
    got.push(d);
    if (auto) d.settle({ status: 'delivered' });
  });
  const ids = (): string[] => got.map((d) => {
    const r = decode(d.body);
    return r.ok ? (r.event.notification.messageId ?? '') : r.error.code;
  });
  return { source, got, ids, counts };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const range = (a: number, b: number): string[] => Array.from({ length: b - a }, (_, i) => `m-${a + i}`);

describe('FileSource', () => {
  it('delivers notification lines, skips the rest, and resumes at its checkpoint after a restart', async () => {
    const dir = tmp();
    const f = join(dir, 'keystone.log');
    writeFileSync(f, notification(0) + other + notification(1));
    const a = run(dir);
    await until(() => a.got.length === 2, '2 lines');
    expect(a.counts.skipped).toBe(1);
    expect(a.source.ready).toBe(true);
    await a.source.close();
    appendFileSync(f, notification(2));
    const b = run(dir);
    await until(() => b.got.length === 1, 'the new line');
    expect(b.ids()).toEqual(['m-2']);
  });

  it('the checkpoint never passes a line not yet settled; errored lines are read again', async () => {
    const dir = tmp();
    const f = join(dir, 'keystone.log');
    writeFileSync(f, notification(0) + notification(1) + notification(2));
    const a = run(dir, {}, false);
    await until(() => a.got.length === 3, '3 lines');
    a.got[0]!.settle({ status: 'delivered' });
    a.got[2]!.settle({ status: 'delivered' });
    a.got[1]!.settle({ status: 'errored', why: 'test' });
    await until(() => a.got.length === 5, 'lines 1 and 2 again');
    expect(a.ids().slice(3)).toEqual(['m-1', 'm-2']);
    await a.source.close();
    const cp = JSON.parse(readFileSync(join(dir, 'data', 'file-checkpoints.json'), 'utf8')) as { files: Array<{ offset: number }> };
    expect(cp.files[0]!.offset).toBe(notification(0).length);
  });

  it('pauses reading while the window is full (back-pressure)', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.log'), range(0, 50).map((_, i) => notification(i)).join(''));
    const a = run(dir, { window: 5 }, false);
    await until(() => a.got.length === 5, 'the first window');
    await new Promise((r) => setTimeout(r, 100));
    expect(a.got.length).toBe(5);
    expect(a.got[4]!.windowFull).toBe(true);
    for (const d of a.got.slice(0, 5)) d.settle({ status: 'delivered' });
    await until(() => a.got.length === 10, 'the next window');
  });

  it('holds bounded state while one notification waits and many skipped lines follow it', async () => {
    const dir = tmp();
    const noise = Array.from({ length: 5000 }, () => other).join('');
    writeFileSync(join(dir, 'a.log'), notification(0) + noise + notification(1) + noise);
    const a = run(dir, {}, false);
    await until(() => a.counts.skipped === 10_000 && a.got.length === 2, 'the whole file');
    // Each unsettled line, and one entry per run of skipped lines after it: not 10,000 entries.
    expect(a.source.heldEntries).toBeLessThanOrEqual(4);
    for (const d of a.got) d.settle({ status: 'delivered' });
    expect(a.source.heldEntries).toBe(0);
    expect(a.source.stats.lag()).toEqual([{ path: join(dir, 'a.log'), bytes: 0 }]);
  });

  it('rename rotation: finishes the old file, then reads the new one; nothing twice', async () => {
    const dir = tmp();
    const f = join(dir, 'keystone.log');
    writeFileSync(f, notification(0));
    const a = run(dir);
    await until(() => a.got.length === 1, 'line 0');
    appendFileSync(f, notification(1));
    renameSync(f, join(dir, 'keystone.log.1'));
    appendFileSync(join(dir, 'keystone.log.1'), notification(2));
    writeFileSync(f, notification(3));
    await until(() => a.got.length === 4, '4 lines');
    expect([...a.ids()].sort()).toEqual(range(0, 4));
  });

  it('copytruncate: size below the offset starts again at 0', async () => {
    const dir = tmp();
    const f = join(dir, 'keystone.log');
    writeFileSync(f, notification(0) + notification(1));
    const a = run(dir);
    await until(() => a.got.length === 2, '2 lines');
    truncateSync(f, 0);
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(f, notification(2));
    await until(() => a.got.length === 3, 'line 2');
    expect(a.ids()).toEqual(range(0, 3));
  });

  it('a file deleted and recreated, and a file replaced while stopped, are read from 0', async () => {
    const dir = tmp();
    const f = join(dir, 'keystone.log');
    writeFileSync(f, notification(0));
    const a = run(dir);
    await until(() => a.got.length === 1, 'line 0');
    rmSync(f);
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(f, notification(1));
    await until(() => a.got.length === 2, 'line 1');
    await a.source.close();
    rmSync(f);
    writeFileSync(f, notification(2) + notification(3));
    const b = run(dir);
    await until(() => b.got.length === 2, 'the replaced file');
    expect(b.ids()).toEqual(['m-2', 'm-3']);
  });

  it('start at end skips what files held at start, not files that appear later', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.log'), notification(0));
    const a = run(dir, { startAt: 'end' });
    await until(() => a.source.ready, 'ready');
    appendFileSync(join(dir, 'a.log'), notification(1));
    writeFileSync(join(dir, 'b.log'), notification(2));
    await until(() => a.got.length === 2, '2 lines');
    expect([...a.ids()].sort()).toEqual(['m-1', 'm-2']);
  });

  it('bad and over-long lines are dead-lettered to the JSON-lines file with the reason', async () => {
    const dir = tmp();
    const cut = notification(0).slice(0, 300);
    writeFileSync(join(dir, 'a.log'), `${cut}\n${notification(1)}${'x'.repeat(5000)}\n${notification(2)}`);
    const a = run(dir);
    await until(() => a.got.length === 2, '2 good lines');
    await until(() => a.counts.deadLettered.length === 2, '2 dead letters');
    expect(a.counts.deadLettered).toEqual(['invalid_json', 'too_large']);
    const dl = readFileSync(join(dir, 'data', 'file-dead-letters.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; offset: number });
    expect(dl.map((d) => [d.reason, d.offset])).toEqual([
      ['invalid_json', 0],
      ['too_large', cut.length + 1 + notification(1).length],
    ]);
  });
});
