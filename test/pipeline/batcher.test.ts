import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/pipeline/batcher.js';
import type { Item } from '../../src/pipeline/item.js';

function item(bytes: number, live = { v: true }, tenant?: string): Item {
  return {
    ...(tenant !== undefined ? { tenant } : {}),
    delivery: { body: Buffer.alloc(0), meta: {}, redelivered: false, settle: () => undefined, get live() { return live.v; } },
    event: {} as Item['event'],
    id: undefined,
    eventType: 'identity.user.created',
    messageId: undefined,
    time: undefined,
    observed: [0, 0],
    bytes,
  };
}

function setup(maxRecords = 3, maxBytes = 1000, delayMs = 20) {
  let ready = 0;
  const b = new Batcher({ maxRecords, maxBytes, delayMs }, () => (ready += 1));
  return { b, ready: () => ready };
}

describe('Batcher', () => {
  it('seals at the record count', () => {
    const s = setup();
    for (let i = 0; i < 7; i++) s.b.add(item(1), false);
    expect(s.ready()).toBe(2);
    expect(s.b.take()).toHaveLength(3);
    expect(s.b.take()).toHaveLength(3);
    expect(s.b.take()).toBeUndefined();
    expect(s.b.held).toBe(1);
    s.b.flush();
    expect(s.b.take()).toHaveLength(1);
  });

  it('seals before the byte bound is passed, so a batch stays under it', () => {
    const s = setup(100, 1000);
    s.b.add(item(600), false);
    s.b.add(item(600), false); // would pass 1000: the first is sealed alone
    expect(s.b.take()!.map((i) => i.bytes)).toEqual([600]);
    s.b.add(item(2000), false); // larger than the bound on its own: a batch of one
    expect(s.b.take()!.map((i) => i.bytes)).toEqual([600]);
    expect(s.b.take()!.map((i) => i.bytes)).toEqual([2000]);
  });

  it('seals at once when the source says its window is full, else after the delay', async () => {
    const s = setup(100);
    s.b.add(item(1), true);
    expect(s.ready()).toBe(1);
    s.b.add(item(1), false);
    expect(s.ready()).toBe(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(s.ready()).toBe(2);
  });

  it('drops dead items on prune and on take: what it holds is only live deliveries', () => {
    const s = setup(2);
    const dead = { v: true };
    s.b.add(item(1, dead), false);
    s.b.add(item(1, dead), false); // sealed
    s.b.add(item(1, dead), false);
    s.b.add(item(1), false); // sealed: one dead, one live
    s.b.add(item(1, dead), false); // gathering
    expect(s.b.held).toBe(5);
    dead.v = false;
    expect(s.b.prune()).toBe(4);
    expect(s.b.held).toBe(1);
    expect(s.b.take()).toHaveLength(1);
    expect(s.b.take()).toBeUndefined();
  });

  it('a batch holds one tenant: tenants gather apart and seal on their own', () => {
    const s = setup(2);
    s.b.add(item(1, { v: true }, 'a'), false);
    s.b.add(item(1, { v: true }, 'b'), false);
    s.b.add(item(1, { v: true }, 'a'), false); // a is full
    expect(s.b.take()!.map((i) => i.tenant)).toEqual(['a', 'a']);
    expect(s.b.take()).toBeUndefined();
    s.b.flush();
    expect(s.b.take()!.map((i) => i.tenant)).toEqual(['b']);
  });
});
