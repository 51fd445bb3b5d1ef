import type { Channel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { AckTracker } from '../../../src/sources/amqp/ack-tracker.js';

function setup(throwOnAck = false) {
  const acks: Array<[number, boolean]> = [];
  const channel = {
    ack: (m: ConsumeMessage, all: boolean) => {
      if (throwOnAck) throw new Error('Channel closed');
      acks.push([m.fields.deliveryTag, all]);
    },
  } as unknown as Channel;
  const errors: Error[] = [];
  const t = new AckTracker(channel, (e) => errors.push(e));
  const msg = (tag: number) => ({ fields: { deliveryTag: tag } }) as ConsumeMessage;
  return { t, acks, errors, msg };
}

describe('AckTracker', () => {
  it('acks the longest settled prefix with one multiple-ack', async () => {
    const { t, acks, msg } = setup();
    const e = [1, 2, 3, 4, 5].map((i) => t.add(msg(i)));
    t.settle(e[1]!);
    t.settle(e[2]!);
    await Promise.resolve();
    expect(acks).toEqual([]); // 1 is still out
    t.settle(e[0]!);
    await Promise.resolve();
    expect(acks).toEqual([[3, true]]);
    t.settle(e[4]!);
    t.settle(e[3]!);
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
    t.settle(a);
    t.settle(a);
    await Promise.resolve();
    expect(acks).toHaveLength(1);
    const batch = [2, 3, 4, 5, 6].map((i) => t.add(msg(i)));
    for (const e of batch) t.settle(e);
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
    t.settle(a);
    await Promise.resolve();
    expect(acks).toEqual([]);
    expect(t.live).toBe(false);
  });

  it('a failing ack kills the tracker and reports it', async () => {
    const { t, errors, msg } = setup(true);
    t.settle(t.add(msg(1)));
    await Promise.resolve();
    expect(errors).toHaveLength(1);
    expect(t.live).toBe(false);
  });

  it('stays small over a long stream', async () => {
    const { t, acks, msg } = setup();
    for (let i = 1; i <= 100_000; i++) {
      t.settle(t.add(msg(i)));
      if (i % 1000 === 0) await Promise.resolve();
    }
    expect(acks.at(-1)).toEqual([100_000, true]);
    expect(acks).toHaveLength(100);
    expect(t.pending).toBe(0);
  });
});
