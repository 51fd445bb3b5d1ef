import type { Channel, ConsumeMessage } from 'amqplib';

export interface Entry {
  readonly msg: ConsumeMessage;
  /** Date.now() when it arrived: the age of the oldest unsettled message is a stall alarm. */
  readonly receivedAt: number;
  done: boolean;
  /** Given back with a nack: its tag is no longer outstanding and must never be acked. */
  requeued: boolean;
}

/**
 * Settles one channel's deliveries. Acks go in order with `multiple`: one ack frame covers every
 * consecutive settled delivery from the oldest unacked one, so settling out of order (concurrent
 * exports) is safe and acks stay cheap. A requeue is a single `nack` sent at once: the broker then
 * no longer counts that tag as outstanding, so a later multiple-ack cannot cover it.
 * One tracker per channel: delivery tags mean nothing on another channel (406 "unknown delivery
 * tag" closes it), so a dead channel's tracker settles nothing more and the broker redelivers.
 */
export class AckTracker {
  private readonly entries: Entry[] = [];
  private head = 0;
  private alive = true;
  private flushScheduled = false;
  private unsettled = 0;

  constructor(
    private readonly channel: Channel,
    private readonly onChannelError: (err: Error) => void,
  ) {}

  get live(): boolean {
    return this.alive;
  }

  /** Received and not yet acked or requeued. */
  get pending(): number {
    return this.alive ? this.unsettled : 0;
  }

  /** Entries kept in memory (settled ones wait here until the acks pass them). */
  get retained(): number {
    return this.entries.length;
  }

  /** Age in ms of the oldest delivery not yet settled (0 when none). */
  oldestUnsettledMs(now = Date.now()): number {
    if (!this.alive) return 0;
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (!e.done) return now - e.receivedAt;
    }
    return 0;
  }

  add(msg: ConsumeMessage): Entry {
    const e: Entry = { msg, receivedAt: Date.now(), done: false, requeued: false };
    this.entries.push(e);
    this.unsettled += 1;
    return e;
  }

  /**
   * Marks a delivery done. The ack itself is sent once the current synchronous run is over, so a
   * whole exported batch settled in a loop costs one ack frame, not one per message.
   */
  ack(e: Entry): void {
    if (e.done) return;
    e.done = true;
    this.unsettled -= 1;
    if (!this.alive || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Gives the delivery back to the queue now (the broker redelivers it, flagged redelivered). */
  requeue(e: Entry): void {
    if (e.done) return;
    e.done = true;
    e.requeued = true;
    this.unsettled -= 1;
    if (!this.alive) return;
    try {
      this.channel.nack(e.msg, false, true);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    // The nacked entry may be the head that held later acks back.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.alive) return;
    // The newest acked (not requeued) entry of the settled run: one multiple-ack covers it and
    // every outstanding tag before it. A requeued tag is not outstanding any more, and acking it
    // would be a 406 that closes the channel.
    let last: Entry | undefined;
    while (this.head < this.entries.length && this.entries[this.head]!.done) {
      const e = this.entries[this.head]!;
      if (!e.requeued) last = e;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    if (last === undefined) return;
    try {
      this.channel.ack(last.msg, true);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private fail(err: Error): void {
    this.alive = false;
    this.onChannelError(err);
  }

  /**
   * Before a clean close: acks, one by one, the settled deliveries that the in-order acks have not
   * reached yet (they sit behind one still unsettled). Without it they would be redelivered,
   * although they are out, once the channel closes. Returns how many were still unsettled (they
   * go back to the queue with the close).
   */
  ackSettledOutOfOrder(): number {
    if (!this.alive) return 0;
    this.flush();
    try {
      for (let i = this.head; i < this.entries.length; i++) {
        const e = this.entries[i]!;
        if (e.done && !e.requeued) this.channel.ack(e.msg, false);
      }
    } catch (err) {
      this.fail(err as Error);
    }
    return this.unsettled;
  }

  /** The channel is gone: nothing more is settled; the broker requeues what was not. */
  kill(): void {
    this.alive = false;
    this.entries.length = 0;
    this.head = 0;
    this.unsettled = 0;
  }
}
