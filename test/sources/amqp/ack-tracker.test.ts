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
  it('acks the longest settled prefix with one multiple-ack', () => {
    const { t, acks, msg } = setup();
    const e = [1, 2, 3, 4, 5].map((i) => t.add(msg(i)));
    t.settle(e[1]!);
    t.settle(e[2]!);
    expect(acks).toEqual([]); // 1 is still out
    t.settle(e[0]!);
    expect(acks).toEqual([[3, true]]);
    t.settle(e[4]!);
    t.settle(e[3]!);
    expect(acks).toEqual([
      [3, true],
      [5, true],
    ]);
    expect(t.pending).toBe(0);
  });

  it('settling twice does nothing', () => {
    const { t, acks, msg } = setup();
    const a = t.add(msg(1));
    t.settle(a);
    t.settle(a);
    expect(acks).toHaveLength(1);
  });

  it('never acks on a dead channel', () => {
    const { t, acks, msg } = setup();
    const a = t.add(msg(1));
    t.kill();
    t.settle(a);
    expect(acks).toEqual([]);
    expect(t.live).toBe(false);
  });

  it('a failing ack kills the tracker and reports it', () => {
    const { t, errors, msg } = setup(true);
    t.settle(t.add(msg(1)));
    expect(errors).toHaveLength(1);
    expect(t.live).toBe(false);
  });

  it('stays small over a long stream', () => {
    const { t, acks, msg } = setup();
    for (let i = 1; i <= 100_000; i++) t.settle(t.add(msg(i)));
    expect(acks.at(-1)).toEqual([100_000, true]);
    expect(t.pending).toBe(0);
  });
});
