import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode } from '../../../src/cadf/index.js';
import { parseRecord, unwrapContainer } from '../../../src/sources/file/parse.js';

// Real log files as Keystone 22 wrote them with oslo's `log` notification driver (see its README).
const SAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'log-driver');

function linesOf(name: string): string[] {
  const text = readFileSync(join(SAMPLES, name), 'utf8');
  return text.split('\n').slice(0, -1);
}

function tally(lines: readonly string[]): { events: string[]; skipped: number; bad: number } {
  const events: string[] = [];
  let skipped = 0;
  let bad = 0;
  for (const l of lines) {
    const u = unwrapContainer(l);
    const r = parseRecord(u.text);
    if (r.kind === 'skip') skipped += 1;
    else if (r.kind === 'bad') bad += 1;
    else {
      const d = decode(r.body);
      if (!d.ok) throw new Error(`${d.error.code}: ${d.error.message}`);
      events.push(`${d.event.notification.eventType} ${d.event.notification.messageId ?? ''}`);
    }
  }
  return { events, skipped, bad };
}

describe('file source line parsing (golden: the shared Keystone log-driver files)', () => {
  const plain = tally(linesOf('keystone-plain.log'));
  const json = tally(linesOf('keystone-json.log'));

  it('finds the 24 notifications of the plain oslo.log file and skips its other 340 lines', () => {
    expect(plain.events).toHaveLength(24);
    expect(plain.bad).toBe(0);
    expect(plain.skipped).toBe(364 - 24);
  });

  it('finds the 24 notifications of the use_json file and skips its other 31 lines', () => {
    expect(json.events).toHaveLength(24);
    expect(json.bad).toBe(0);
    expect(json.skipped).toBe(55 - 24);
  });

  it('both formats yield the same event types in the same order', () => {
    const types = (e: string[]): string[] => e.map((x) => x.split(' ')[0]!);
    expect(types(json.events)).toEqual(types(plain.events));
    expect(types(plain.events)).toContain('identity.authenticate');
    expect(new Set(plain.events.map((x) => x.split(' ')[1])).size).toBe(24);
  });

  it('reads the same lines wrapped by a CRI runtime (partial lines joined) and by docker json-file', () => {
    const notif = linesOf('keystone-plain.log').filter((l) => l.includes(' oslo.messaging.notification.'));
    const cri: string[] = [];
    const docker: string[] = [];
    for (const l of notif) {
      // Split each record into 3 parts as the kubelet does over 16 KiB.
      const a = l.slice(0, 100);
      const b = l.slice(100, 400);
      const c = l.slice(400);
      cri.push(`2026-12-02T05:09:35.314159265Z stdout P ${a}`, `2026-12-02T05:09:35.314159265Z stdout P ${b}`, `2026-12-02T05:09:35.314159265Z stdout F ${c}`);
      docker.push(JSON.stringify({ log: `${a}${b}`, stream: 'stdout', time: 't' }), JSON.stringify({ log: `${c}\n`, stream: 'stdout', time: 't' }));
    }
    const join = (lines: string[]): string[] => {
      const out: string[] = [];
      let partial = '';
      for (const l of lines) {
        const u = unwrapContainer(l);
        if (u.partial) partial += u.text;
        else {
          out.push(partial + u.text);
          partial = '';
        }
      }
      return out;
    };
    expect(tally(join(cri)).events).toEqual(plain.events);
    expect(tally(join(docker)).events).toEqual(plain.events);
  });

  it('a notification as a JSON line, and a bare CADF event, decode', () => {
    const line = linesOf('keystone-plain.log').find((l) => l.includes('identity.authenticate'))!;
    const notification = line.slice(line.indexOf('] {') + 2);
    const one = parseRecord(notification);
    expect(one.kind).toBe('notification');
    const payload = (JSON.parse(notification) as { payload: { id: string } }).payload;
    const bare = parseRecord(JSON.stringify(payload));
    expect(bare.kind).toBe('notification');
    if (bare.kind !== 'notification') return;
    const d = decode(bare.body);
    expect(d.ok && d.event.notification.messageId).toBe(payload.id);
  });

  it('a notification line whose JSON is cut is bad (dead-lettered); ordinary lines are skipped', () => {
    const line = linesOf('keystone-plain.log').find((l) => l.includes('identity.authenticate'))!;
    expect(parseRecord(line.slice(0, 400))).toMatchObject({ kind: 'bad', code: 'invalid_json' });
    expect(parseRecord('2026-12-02 05:09:35.314 3476 INFO keystone.server [-] Starting')).toEqual({ kind: 'skip' });
    expect(parseRecord('  warnings.warn((')).toEqual({ kind: 'skip' });
    expect(parseRecord('')).toEqual({ kind: 'skip' });
    expect(parseRecord('{"log": 1}')).toEqual({ kind: 'skip' });
  });

  it('strips the ColorHandler escape at the end of stdout lines', () => {
    const line = linesOf('keystone-plain.log').find((l) => l.includes('identity.authenticate'))!;
    expect(parseRecord(`${line}\u001b[00m`).kind).toBe('notification');
  });
});
