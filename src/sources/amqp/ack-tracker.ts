import type { Channel, ConsumeMessage } from 'amqplib';

interface Entry {
  readonly msg: ConsumeMessage;
  done: boolean;
}

/**
 * Acks in order with `multiple`: one ack frame covers every consecutive settled delivery from the
 * oldest unacked one, so settling out of order (concurrent exports) is safe and acks stay cheap.
 * One tracker per channel: delivery tags mean nothing on another channel (406 "unknown delivery
 * tag" closes it), so a dead channel's tracker just stops acking and the broker redelivers.
 */
export class AckTracker {
  private readonly entries: Entry[] = [];
  private head = 0;
  private alive = true;
  private flushScheduled = false;

  constructor(
    private readonly channel: Channel,
    private readonly onAckError: (err: Error) => void,
  ) {}

  get live(): boolean {
    return this.alive;
  }

  get pending(): number {
    return this.alive ? this.entries.length - this.head : 0;
  }

  add(msg: ConsumeMessage): Entry {
    const e = { msg, done: false };
    this.entries.push(e);
    return e;
  }

  /**
   * Marks a delivery done. The ack itself is sent once the current synchronous run is over, so a
   * whole exported batch settled in a loop costs one ack frame, not one per message.
   */
  settle(e: Entry): void {
    if (e.done) return;
    e.done = true;
    if (!this.alive || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.alive) return;
    let last: Entry | undefined;
    while (this.head < this.entries.length && this.entries[this.head]!.done) {
      last = this.entries[this.head]!;
      this.head += 1;
    }
    if (last === undefined) return;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    try {
      this.channel.ack(last.msg, true);
    } catch (err) {
      this.alive = false;
      this.onAckError(err as Error);
    }
  }

  /** The channel is gone: nothing more is acked; the broker requeues what was not. */
  kill(): void {
    this.alive = false;
    this.entries.length = 0;
    this.head = 0;
  }
}
