// `cadf-exporter tail` against the real broker: its own queue, bound as `run` binds, gone when it
// stops; one line per event with names from the name memory; filters; --json. Each test has its
// own exchanges.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { tailCommand } from '../../src/commands/tail.js';
import { NameStore } from '../../src/enrich/name-store.js';
import { formatLine, shortLine } from '../../src/tail/format.js';
import { decode, toRecord } from '../../src/cadf/index.js';
import { waitFor } from '../support/exporter.js';
import { withNewId } from '../support/messages.js';
import { AMQP_URL, Broker, testNames, type TestNames } from '../support/rabbit.js';
import { cases } from '../support/testdata.js';

const body = (name: string) => cases(name.endsWith('.bin') ? 'cornercases' : 'samples').find((c) => c.name === name)!.body.toString();
const USER = '7ec4ab48670241e6880354a8baf4e5d4';

interface Running {
  out: string[];
  err: string;
  queue: () => string;
  stop: () => Promise<number>;
}

function start(names: TestNames, extra: string[]): Running {
  let release: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (release = r));
  const r = { out: [] as string[], err: '' };
  const done = tailCommand(
    ['--amqp-url', AMQP_URL, '--amqp-exchanges', names.exchanges.join(','), '--log-level', 'silent', ...extra],
    { stdout: (t) => r.out.push(...t.split('\n').filter((l) => l !== '')), stderr: (t) => (r.err += t), readStdin: () => Promise.resolve(Buffer.alloc(0)) },
    stopped,
  );
  return Object.assign(r, {
    queue: () => /on queue (\S+);/.exec(r.err)?.[1] ?? '',
    stop: async () => {
      release();
      return done;
    },
  });
}

async function queueExists(name: string): Promise<boolean> {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  try {
    await ch.checkQueue(name);
    return true;
  } catch (err) {
    // 405 RESOURCE_LOCKED: it exists, exclusive to another connection (the tail's own).
    return (err as { code?: number }).code === 405;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

describe('tail', () => {
  it('shows each event as one line, names from the name memory, on a queue of its own that goes away', async () => {
    const names = testNames('tail');
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    // The exporter's queue, bound as `run` binds it: tail must take nothing from it.
    await broker.ch.assertQueue(names.queue, { durable: true });
    await broker.ch.bindQueue(names.queue, names.exchanges[0]!, 'notifications.*');
    const dataDir = mkdtempSync(join(tmpdir(), 'cadf-tail-names-'));
    const store = new NameStore(dataDir);
    await store.append([{ k: 'user', i: USER, n: 'alice', t: 1 }]);
    await store.close();
    const t = start(names, ['--data-dir', dataDir]);
    try {
      await waitFor(() => t.queue() !== '', 10_000, () => t.err);
      expect(t.queue()).toMatch(/^cadf-exporter\.tail\./);
      expect(await queueExists(t.queue())).toBe(true);
      await broker.publish(names.exchanges[0]!, [
        withNewId(body('keystone-user-created-global-request-id.json')).body,
        withNewId(body('quirk-user-deleted-no-initiator.bin')).body,
      ]);
      await waitFor(() => t.out.length === 2, 10_000, () => `${t.err}\n${t.out.join('\n')}`);
      expect(t.out[0]).toBe('00:04:10 USER CREATED: success: user alice by admin from 127.0.0.1 (project: 10403d9b732b48edb4c8eb1619090bf5)');
      expect(t.out[1]).toMatch(/^\d\d:\d\d:\d\d USER DELETED: success: user alice by unknown$/);
      // No colour: not a terminal.
      expect(t.out.join('')).not.toContain('\u001b[');
      expect(await broker.messageCount(names.queue)).toBe(2);
    } finally {
      expect(await t.stop()).toBe(0);
    }
    expect(await queueExists(t.queue())).toBe(false);
    await broker.cleanup(names);
  }, 30_000);

  it('filters by event, outcome, user, project and grep; --json prints records', async () => {
    const names = testNames('tail-filter');
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const byUser = start(names, ['--user', 'grace', '--outcome', 'success']);
    const byEvent = start(names, ['--event', 'identity.user.*', '--json']);
    const byProject = start(names, ['--project', '10403d9b*', '--grep', 'created']);
    const all = [byUser, byEvent, byProject];
    try {
      await waitFor(() => all.every((t) => t.queue() !== ''), 10_000, () => all.map((t) => t.err).join('\n'));
      const login = withNewId(body('keystone-authenticate-success-internal-password-recheck.json'));
      const created = withNewId(body('keystone-user-created-global-request-id.json'));
      const failed = withNewId(body('keystone-authenticate-failure-password-expired.json'));
      const api = withNewId(body('audit-image-list-ok-response.json'));
      await broker.publish(names.exchanges[0]!, [login.body, created.body, failed.body]);
      await broker.publish(names.exchanges[1]!, [api.body]);
      // A last event every tail shows, so "nothing else came" can be checked without waiting.
      const marker = withNewId(body('keystone-user-created-global-request-id.json'));
      await broker.publish(names.exchanges[0]!, [marker.body]);
      await waitFor(() => byEvent.out.length === 2 && byProject.out.length === 2, 10_000, () => all.map((t) => t.err + t.out.join('\n')).join('\n'));
      await waitFor(() => byUser.out.length === 3, 10_000, () => byUser.err + byUser.out.join('\n'));
      // grace logs in, then is the user created (named from her login): not the failed login.
      expect(byUser.out).toEqual([
        expect.stringMatching(/USER AUTH: success: user grace/),
        expect.stringMatching(/USER CREATED: success: user grace by admin/),
        expect.stringMatching(/USER CREATED: success: user grace by admin/),
      ]);
      const records = byEvent.out.map((l) => JSON.parse(l) as { eventName: string; attributes: Record<string, unknown> });
      expect(records.map((r) => r.attributes['log.record.uid'])).toEqual([created.id, marker.id]);
      expect(records[0]!.eventName).toBe('identity.user.created');
      expect(byProject.out.every((l) => l.includes('USER CREATED'))).toBe(true);
    } finally {
      for (const t of all) expect(await t.stop()).toBe(0);
      await broker.cleanup(names);
    }
  }, 30_000);

  it('a bad --grep is a usage error; an unreachable broker exits 1', async () => {
    await expect(tailCommand(['--grep', '('], { stdout: () => undefined, stderr: () => undefined, readStdin: () => Promise.resolve(Buffer.alloc(0)) })).rejects.toThrow(/--grep/);
    let err = '';
    const code = await tailCommand(['--amqp-url', 'amqp://guest:guest@127.0.0.1:1/'], { stdout: () => undefined, stderr: (t) => (err += t), readStdin: () => Promise.resolve(Buffer.alloc(0)) });
    expect(code).toBe(1);
    expect(err).toContain('cannot connect');
  });
});

describe('tail lines', () => {
  const rec = (name: string) => {
    const d = decode(Buffer.from(body(name)));
    if (!d.ok) throw new Error(d.error.message);
    return toRecord(d.event);
  };

  it('drop ids beside names, keep lone ids', () => {
    expect(shortLine('USER DELETED: success: user alice (7ec4ab48670241e6880354a8baf4e5d4) by admin (bf99d64629c04671904ab56d7b04a938) from 10.0.0.5')).toBe(
      'USER DELETED: success: user alice by admin from 10.0.0.5',
    );
    expect(shortLine('USER DELETED: success: user 7ec4ab48670241e6880354a8baf4e5d4 by unknown')).toBe('USER DELETED: success: user 7ec4ab48670241e6880354a8baf4e5d4 by unknown');
  });

  it('colour the head by what happened: red for a failure, green for a success', () => {
    const failure = formatLine(rec('keystone-authenticate-failure-password-expired.json'), { colour: true, ids: false });
    const esc = '\u001b';
    expect(failure.startsWith(`${esc}[2m`)).toBe(true);
    expect(failure).toContain(`${esc}[0m ${esc}[1m${esc}[31mUSER AUTH: failure:${esc}[0m `);
    const created = formatLine(rec('keystone-user-created-global-request-id.json'), { colour: true, ids: true });
    expect(created).toContain('\u001b[32mUSER CREATED: success:\u001b[0m user 7ec4ab48670241e6880354a8baf4e5d4 by admin (bf99d64629c04671904ab56d7b04a938)');
  });
});
