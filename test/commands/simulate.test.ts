// `cadf-exporter simulate` against the real RabbitMQ: every message it publishes decodes with the
// exporter's own core, in both oslo envelopes, to the exchange of its source, in the mix asked for;
// missing exchanges are declared as oslo does; SIGINT and SIGTERM stop it cleanly with every
// message confirmed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/commands/simulate.js';
import { decode, toRecord, type LogRecordData } from '../../src/cadf/index.js';
import { main } from '../../src/main.js';
import { Traffic } from '../../src/simulate/traffic.js';
import { ADMIN_ROLE } from '../../src/simulate/world.js';
import { waitFor } from '../support/exporter.js';
import { AMQP_URL, testNames } from '../support/rabbit.js';
import { TESTDATA } from '../support/testdata.js';

const ROOT = join(TESTDATA, '..', '..');

interface Received {
  readonly exchange: string;
  readonly v2: boolean;
  readonly record: LogRecordData;
}

function memoryIO(): { io: Parameters<typeof main>[1]; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t), readStdin: () => Promise.resolve(Buffer.alloc(0)) },
    out: () => out,
    err: () => err,
  };
}

let conn: ChannelModel;
let ch: Channel;

beforeAll(async () => {
  conn = await amqp.connect(AMQP_URL);
  ch = await conn.createChannel();
});

afterAll(async () => {
  await conn.close().catch(() => undefined);
});

/** A queue bound to both exchanges (declared like oslo first), to read what simulate publishes. */
async function listen(names: ReturnType<typeof testNames>): Promise<string> {
  for (const e of names.exchanges) await ch.assertExchange(e, 'topic', { durable: false, autoDelete: false });
  await ch.assertQueue(names.queue, { durable: false, autoDelete: false });
  for (const e of names.exchanges) await ch.bindQueue(names.queue, e, 'notifications.*');
  return names.queue;
}

async function drain(queue: string): Promise<Received[]> {
  const out: Received[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    const d = decode(m.content, { exchange: m.fields.exchange });
    if (!d.ok) throw new Error(`does not decode: ${d.error.code} ${d.error.message}\n${m.content.toString().slice(0, 500)}`);
    out.push({ exchange: m.fields.exchange, v2: m.content.toString().startsWith('{"oslo.version"'), record: toRecord(d.event) });
  }
}

async function cleanup(names: ReturnType<typeof testNames>): Promise<void> {
  await ch.deleteQueue(names.queue).catch(() => undefined);
  for (const e of names.exchanges) await ch.deleteExchange(e).catch(() => undefined);
}

const attr = (r: Received, key: string): string | undefined => {
  const v = r.record.attributes[key];
  return v === undefined ? undefined : String(v);
};

describe('cadf-exporter simulate', () => {
  it('publishes decodable CADF traffic in the mix asked for', async () => {
    const names = testNames('sim');
    const queue = await listen(names);
    const { io, err } = memoryIO();
    const args = ['simulate', '--amqp-url', AMQP_URL, '--rate', '300', '--duration', '2.5', '--failure-ratio', '0.3', '--burst-every', '1', '--burst-size', '25'];
    args.push('--v1-ratio', '0.3', '--exchange-keystone', names.exchanges[0]!, '--exchange-api', names.exchanges[1]!, '--seed', '7', '--progress-every', '1');
    let got: Received[];
    try {
      expect(await main(args, io), err()).toBe(0);
      got = await drain(queue);
    } finally {
      await cleanup(names);
    }

    // The progress lines, and the final count is what arrived.
    const lines = err().trim().split('\n');
    expect(lines[0]).toMatch(/^simulate: publishing to amqp:\/\/guest:\*\*\*@/);
    expect(lines.filter((l) => /^simulate: [\d.]+ s, \d+ sent/.test(l)).length).toBeGreaterThanOrEqual(3);
    const sent = Number(/(\d+) sent/.exec(lines.at(-1)!)![1]);
    expect(lines.at(-1)).toMatch(/\(done\)$/);
    expect(got).toHaveLength(sent);
    expect(sent).toBeGreaterThan(600);

    // Both envelopes; Keystone's events on Keystone's exchange, the API audit on the other.
    const v1 = got.filter((r) => !r.v2).length / got.length;
    expect(v1).toBeGreaterThan(0.2);
    expect(v1).toBeLessThan(0.4);
    for (const r of got) expect(r.exchange, r.record.eventName).toBe(r.record.eventName.startsWith('identity.') ? names.exchanges[0] : names.exchanges[1]);

    // Logins fail at the ratio asked (bursts aside: they all come from one address).
    const logins = got.filter((r) => r.record.eventName === 'identity.authenticate');
    const byAddress = new Map<string, Received[]>();
    for (const r of logins) byAddress.set(attr(r, 'client.address')!, [...(byAddress.get(attr(r, 'client.address')!) ?? []), r]);
    const [attacker, burst] = [...byAddress.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
    expect(attacker).toMatch(/^203\.0\.113\./);
    expect(burst.length).toBe(2 * 25);
    expect(burst.every((r) => attr(r, 'cadf.outcome') === 'failure')).toBe(true);
    expect(new Set(burst.map((r) => attr(r, 'cadf.reason.code') ?? 'none'))).toEqual(new Set(['404', 'none', '401']));
    expect(burst.some((r) => /locked/.test(attr(r, 'cadf.reason.type') ?? ''))).toBe(true);
    const normal = logins.filter((r) => attr(r, 'client.address') !== attacker);
    expect(normal.length).toBeGreaterThan(150);
    const ratio = normal.filter((r) => attr(r, 'cadf.outcome') === 'failure').length / normal.length;
    expect(ratio).toBeGreaterThan(0.2);
    expect(ratio).toBeLessThan(0.4);
    expect(normal.filter((r) => attr(r, 'cadf.outcome') === 'success').every((r) => attr(r, 'user.name') !== undefined)).toBe(true);

    // Identity changes (their full mix: the next tests), deletions, role grants and revocations.
    const events = got.map((r) => r.record.eventName);
    expect(events.filter((e) => /^identity\.[a-z]+\.(created|updated)$/.test(e)).length).toBeGreaterThan(10);
    expect(events.filter((e) => /^identity\.(user|project|group)\.deleted$/.test(e)).length).toBeGreaterThan(2);
    expect(events).toContain('identity.role_assignment.created');
    const grants = got.filter((r) => r.record.eventName === 'identity.role_assignment.created');
    expect(grants.every((r) => attr(r, 'openstack.role.id') !== undefined && (attr(r, 'openstack.assignment.user.id') ?? attr(r, 'openstack.assignment.group.id')) !== undefined)).toBe(true);

    // API calls: a request and a response per call, paired by CADF id, with a duration and a status.
    const requests = got.filter((r) => r.record.eventName === 'audit.http.request');
    const responses = got.filter((r) => r.record.eventName === 'audit.http.response');
    expect(responses.length).toBeGreaterThan(100);
    expect(new Set(requests.map((r) => attr(r, 'cadf.event.id')))).toEqual(new Set(responses.map((r) => attr(r, 'cadf.event.id'))));
    for (const r of responses) expect(Number(r.record.attributes['openstack.api.duration'])).toBeGreaterThan(0);
    expect(new Set(responses.map((r) => attr(r, 'openstack.service')))).toEqual(new Set(['compute', 'image', 'network', 'block-storage', 'key-manager', 'object-store']));
    const outcomes = new Set(responses.map((r) => attr(r, 'cadf.outcome')));
    expect(outcomes).toContain('success');
    expect(outcomes).toContain('failure');
  });

  it('declares missing exchanges as oslo does: topic, not durable', async () => {
    const names = testNames('simx');
    for (const e of names.exchanges) await ch.deleteExchange(e).catch(() => undefined);
    const { io, err } = memoryIO();
    try {
      expect(await main(['simulate', '--amqp-url', AMQP_URL, '--rate', '20', '--duration', '0.3', '--exchange-keystone', names.exchanges[0]!, '--exchange-api', names.exchanges[1]!], io), err()).toBe(0);
      // Re-declaring with the same properties succeeds; a durable one would close the channel (406).
      for (const e of names.exchanges) await ch.assertExchange(e, 'topic', { durable: false, autoDelete: false });
      const probe = await conn.createChannel();
      probe.on('error', () => undefined);
      await expect(probe.assertExchange(names.exchanges[0]!, 'topic', { durable: true })).rejects.toThrow(/PRECONDITION_FAILED/);
    } finally {
      await cleanup(names);
    }
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('stops cleanly on %s, every message confirmed', async (signal) => {
    const names = testNames('sims');
    const queue = await listen(names);
    try {
      const args = ['simulate', '--amqp-url', AMQP_URL, '--rate', '200', '--duration', '0', '--exchange-keystone', names.exchanges[0]!, '--exchange-api', names.exchanges[1]!, '--progress-every', '0.5'];
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await waitFor(() => / sent /.test(stderr), 20_000, () => `no progress line:\n${stderr}`);
      child.kill(signal);
      expect(await exited, stderr).toBe(0);
      const last = stderr.trim().split('\n').at(-1)!;
      expect(last).toMatch(/\(stopped by signal\)$/);
      const sent = Number(/(\d+) sent/.exec(last)![1]);
      expect(sent).toBeGreaterThan(0);
      expect((await ch.checkQueue(queue)).messageCount).toBe(sent);
    } finally {
      await cleanup(names);
    }
  });

  it('exits 1 when the broker cannot be reached, naming it without the password', async () => {
    const { io, err } = memoryIO();
    expect(await main(['simulate', '--amqp-url', 'amqp://guest:hunter2@127.0.0.1:1/', '--duration', '1'], io)).toBe(1);
    expect(err()).toMatch(/cannot reach amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1\//);
    expect(err()).not.toContain('hunter2');
  });

  it.each([
    [['--rate', '0'], /--rate must be a number > 0/],
    [['--failure-ratio', '1.5'], /--failure-ratio must be a number between 0 and 1/],
    [['--burst-size', '2.5'], /--burst-size must be a whole number/],
    [['--duration', 'soon'], /--duration must be a number >= 0/],
    [['--amqp-url', 'http://x'], /--amqp-url must be an amqp/],
    [['--nope'], /Unknown option/],
  ])('usage errors exit 2: %j', async (args, message) => {
    const { io, err } = memoryIO();
    expect(await main(['simulate', ...args], io)).toBe(2);
    expect(err()).toMatch(message);
  });

  it('--help prints the options; the defaults are sane', async () => {
    const { io, out } = memoryIO();
    expect(await main(['simulate', '--help'], io)).toBe(0);
    for (const flag of ['--amqp-url', '--rate', '--duration', '--failure-ratio', '--burst-every', '--exchange-keystone', '--exchange-api']) expect(out()).toContain(flag);
    const o = parseOptions([]);
    expect(o).toMatchObject({ rate: 10, durationS: 0, failureRatio: 0.1, burstEveryS: 0, exchangeKeystone: 'keystone', exchangeApi: 'openstack', routingKey: 'notifications.info' });
    const { io: io2, out: out2 } = memoryIO();
    await main(['--help'], io2);
    expect(out2()).toMatch(/simulate\s+publish realistic CADF traffic/);
  });

  it('mixes every kind of event, in the proportions the options ask for', () => {
    const traffic = new Traffic({ failureRatio: 0.25, apiFailureRatio: 0.2, v1Ratio: 0.3, seed: 5 });
    const t = Date.UTC(2026, 10, 23, 12, 0, 0);
    const records: LogRecordData[] = [];
    for (let i = 0; i < 6000; i++) {
      for (const n of traffic.next(t + i * 10)) {
        const d = decode(n.body);
        if (!d.ok) throw new Error(d.error.message);
        records.push(toRecord(d.event));
      }
    }
    const count = (pred: (r: LogRecordData) => boolean): number => records.filter(pred).length;
    const types = new Set(records.map((r) => r.eventName));
    for (const type of ['user', 'project', 'group', 'role', 'domain']) {
      for (const op of ['created', 'updated', 'deleted']) expect(types, `identity.${type}.${op}`).toContain(`identity.${type}.${op}`);
    }
    for (const e of ['identity.role_assignment.created', 'identity.role_assignment.deleted', 'audit.http.request', 'audit.http.response']) expect(types).toContain(e);
    // Deleted users carry no initiator half of the time (Keystone Zed).
    const userDeletes = records.filter((r) => r.eventName === 'identity.user.deleted');
    expect(userDeletes.some((r) => r.attributes['user.name'] === undefined) && userDeletes.some((r) => r.attributes['user.name'] === 'admin')).toBe(true);
    // Logins: 25 % fail; wrong passwords (no reason), unknown names (404), locked and expired (401).
    const logins = records.filter((r) => r.eventName === 'identity.authenticate');
    const failed = logins.filter((r) => r.attributes['cadf.outcome'] === 'failure');
    expect(failed.length / logins.length).toBeCloseTo(0.25, 1);
    const reasons = new Set(failed.map((r) => `${String(r.attributes['cadf.reason.code'] ?? 'none')} ${String(r.attributes['cadf.reason.type'] ?? '').replace(/:.*/, '')}`));
    expect(reasons).toEqual(new Set(['none ', '404 Could not find user', '401 The account is locked for user', '401 The password is expired and needs to be changed for user']));
    // API calls: 20 % fail, some of those raised in the service (outcome unknown).
    const responses = records.filter((r) => r.eventName === 'audit.http.response');
    expect(count((r) => r.eventName === 'audit.http.request')).toBe(responses.length);
    expect(responses.filter((r) => r.attributes['cadf.outcome'] !== 'success').length / responses.length).toBeCloseTo(0.2, 1);
    expect(responses.some((r) => r.attributes['cadf.outcome'] === 'unknown')).toBe(true);
    // The admin role is granted now and then, by its fixed id.
    expect(records.some((r) => r.eventName === 'identity.role_assignment.created' && r.attributes['openstack.role.id'] === ADMIN_ROLE.id)).toBe(true);
  });

  it('keeps a consistent world over long runs, whatever the seed', () => {
    const t = Date.UTC(2026, 10, 23, 12, 0, 0);
    for (let seed = 1; seed <= 20; seed++) {
      const traffic = new Traffic({ failureRatio: 0.5, apiFailureRatio: 0.3, v1Ratio: 0.5, seed });
      for (let i = 0; i < 3000; i++) {
        for (const n of traffic.next(t + i)) expect(decode(n.body).ok).toBe(true);
        if (i % 500 === 0) traffic.burst(t + i, 30);
      }
      const w = traffic.world;
      expect(w.users.length).toBeGreaterThanOrEqual(8);
      expect(w.domains[0]!.id).toBe('default');
      expect(w.roles.slice(0, 3).map((r) => r.name)).toEqual(['admin', 'member', 'reader']);
    }
  });

  it('repeats a run exactly with the same seed', () => {
    const a = new Traffic({ failureRatio: 0.3, apiFailureRatio: 0.1, v1Ratio: 0.2, seed: 99 });
    const b = new Traffic({ failureRatio: 0.3, apiFailureRatio: 0.1, v1Ratio: 0.2, seed: 99 });
    const t = Date.UTC(2026, 10, 23, 12, 0, 0);
    for (let i = 0; i < 200; i++) {
      const [x, y] = [a.next(t + i), b.next(t + i)];
      expect(x.map((n) => n.body.toString())).toEqual(y.map((n) => n.body.toString()));
    }
    expect(a.burst(t, 10).map((n) => n.body.toString())).toEqual(b.burst(t, 10).map((n) => n.body.toString()));
  });
});
