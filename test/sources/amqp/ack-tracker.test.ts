import type { Channel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { AckTracker } from '../../../src/sources/amqp/ack-tracker.js';

function setup(throwOnAck = false) {
  const acks: Array<[number, boolean]> = [];
  const nacks: number[] = [];
  const channel = {
    ack: (m: ConsumeMessage, all: boolean) => {
      if (throwOnAck) throw new Error('Channel closed');
      acks.push([m.fields.deliveryTag, all]);
    },
    nack: (m: ConsumeMessage, all: boolean, requeue: boolean) => {
      expect([all, requeue]).toEqual([false, true]);
      nacks.push(m.fields.deliveryTag);
    },
  } as unknown as Channel;
  const errors: Error[] = [];
  const t = new AckTracker(channel, (e) => errors.push(e));
  const msg = (tag: number) => ({ fields: { deliveryTag: tag } }) as ConsumeMessage;
  return { t, acks, nacks, errors, msg };
}

describe('AckTracker', () => {
  it('acks the longest settled prefix with one multiple-ack', async () => {
    const { t, acks, msg } = setup();
    const e = [1, 2, 3, 4, 5].map((i) => t.add(msg(i)));
    t.ack(e[1]!);
    t.ack(e[2]!);
    await Promise.resolve();
    expect(acks).toEqual([]); // 1 is still out
    t.ack(e[0]!);
    await Promise.resolve();
    expect(acks).toEqual([[3, true]]);
    t.ack(e[4]!);
    t.ack(e[3]!);
    await Promise.resolve();
    expect(acks).toEqual([
      [3, true],
      [5, true],
    ]);
    expect(t.pending).toBe(0);
  });

  it('settling twice does nothing; a batch settled in one go is one ack', async () => {
    const { t, acks, msg } = setup();
    const a = t.add(msg(1));
    t.ack(a);
    t.ack(a);
    await Promise.resolve();
    expect(acks).toHaveLength(1);
    const batch = [2, 3, 4, 5, 6].map((i) => t.add(msg(i)));
    for (const e of batch) t.ack(e);
    await Promise.resolve();
    expect(acks).toEqual([
      [1, true],
      [6, true],
    ]);
  });

  it('never acks on a dead channel', async () => {
    const { t, acks, msg } = setup();
    const a = t.add(msg(1));
    t.kill();
    t.ack(a);
    await Promise.resolve();
    expect(acks).toEqual([]);
    expect(t.live).toBe(false);
  });

  it('a failing ack kills the tracker and reports it', async () => {
    const { t, errors, msg } = setup(true);
    t.ack(t.add(msg(1)));
    await Promise.resolve();
    expect(errors).toHaveLength(1);
    expect(t.live).toBe(false);
  });

  it('before a clean close, acks one by one what sits behind an unsettled delivery', () => {
    const { t, acks, nacks, msg } = setup();
    const e = [1, 2, 3, 4, 5].map((i) => t.add(msg(i)));
    t.ack(e[0]!);
    t.ack(e[2]!);
    t.requeue(e[3]!);
    t.ack(e[4]!);
    // 2 is still unsettled: 1 goes with a multiple-ack, 3 and 5 alone, 4 was nacked already.
    expect(t.ackSettledOutOfOrder()).toBe(1);
    expect(acks).toEqual([
      [1, true],
      [3, false],
      [5, false],
    ]);
    expect(nacks).toEqual([4]);
  });

  it('stays small over a long stream', async () => {
    const { t, acks, msg } = setup();
    for (let i = 1; i <= 100_000; i++) {
      t.ack(t.add(msg(i)));
      if (i % 1000 === 0) await Promise.resolve();
    }
    expect(acks.at(-1)).toEqual([100_000, true]);
    expect(acks).toHaveLength(100);
    expect(t.pending).toBe(0);
    // What "small" means: acked entries are dropped once the acks pass them, so what is kept is
    // at most the compaction threshold plus what arrived since, not the stream.
    expect(t.retained).toBeLessThanOrEqual(2048);
  });

  it('a requeue is one nack at once, and the multiple-ack never covers its tag', async () => {
    const { t, acks, nacks, msg } = setup();
    const e = [1, 2, 3, 4].map((i) => t.add(msg(i)));
    t.ack(e[0]!);
    t.requeue(e[1]!);
    expect(nacks).toEqual([2]);
    await Promise.resolve();
    expect(acks).toEqual([[1, true]]);
    t.requeue(e[3]!);
    t.ack(e[2]!);
    await Promise.resolve();
    // 4 was nacked: the ack names 3, the newest tag still outstanding.
    expect(acks).toEqual([
      [1, true],
      [3, true],
    ]);
    expect(t.pending).toBe(0);
    t.requeue(e[3]!);
    expect(nacks).toEqual([2, 4]);
  });

  it('a run of requeued entries alone sends no ack', async () => {
    const { t, acks, nacks, msg } = setup();
    const e = [1, 2].map((i) => t.add(msg(i)));
    t.requeue(e[0]!);
    t.requeue(e[1]!);
    await Promise.resolve();
    expect(nacks).toEqual([1, 2]);
    expect(acks).toEqual([]);
  });

  it('knows the age of its oldest unsettled delivery', () => {
    const { t, msg } = setup();
    expect(t.oldestUnsettledMs()).toBe(0);
    const a = t.add(msg(1));
    t.add(msg(2));
    const now = Date.now();
    expect(t.oldestUnsettledMs(now + 5000)).toBeGreaterThanOrEqual(5000);
    t.ack(a);
    expect(t.oldestUnsettledMs(now + 5000)).toBeGreaterThanOrEqual(4990);
    t.kill();
    expect(t.oldestUnsettledMs()).toBe(0);
  });
});
