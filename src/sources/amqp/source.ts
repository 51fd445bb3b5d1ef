import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { Logger } from '../../logger.js';
import type { Delivery, DeliveryHandler, Outcome, Source } from '../types.js';
import { AckTracker, type Entry } from './ack-tracker.js';
import type { BrokerTarget } from './connect-options.js';
import { DeadLetterPublisher } from './dead-letter-publisher.js';
import { Supervisor, type ReconnectOptions } from './supervisor.js';
import { boundExchanges, declareTopology, queueArgs, type TopologyOptions } from './topology.js';

export interface AmqpSourceOptions {
  /** For logs, metrics and /readyz. */
  readonly name: string;
  readonly targets: readonly BrokerTarget[];
  readonly topology: TopologyOptions;
  readonly prefetch: number;
  readonly reconnect: ReconnectOptions;
  /** A dead-letter publish not confirmed by then failed (the original is requeued). */
  readonly deadLetterConfirmTimeoutMs: number;
  /** Cap of the wait before a message whose dead letter failed is requeued (it doubles from 1 s). */
  readonly deadLetterRetryMaxDelayMs: number;
}

export interface AmqpSourceObserver {
  connected(up: boolean): void;
  reconnecting(): void;
  /** Counted when the broker confirmed and routed it, not before. */
  deadLettered(code: string): void;
  deadLetterFailed(code: string): void;
  requeued(why: string): void;
}

/** One connection's consumer channel; replaced whole on any failure. */
interface Session {
  readonly conn: ChannelModel;
  readonly ch: Channel;
  readonly tracker: AckTracker;
  readonly target: BrokerTarget;
  consumerTag?: string;
  closed: boolean;
  /** Tears the session down (idempotent); the supervisor then reconnects unless stopping. */
  readonly end: (why: string, err?: Error) => void;
}

/**
 * RabbitMQ source: its own durable queue bound to the oslo exchanges, manual acks after export,
 * dead letters on a connection of their own, and a supervisor that reconnects after a lost
 * connection, a closed channel or a consumer the broker cancelled. Each delivery is settled with
 * one outcome: delivered = ack; rejected = dead letter confirmed and routed, then ack; errored =
 * requeue (nack). A dead letter that fails is requeued after a growing delay, so one poison
 * message cannot spin, and never stays unsettled.
 */
export class AmqpSource implements Source {
  readonly name: string;
  private readonly supervisor: Supervisor;
  private readonly deadLetters: DeadLetterPublisher;
  private session: Session | undefined;
  private handler: DeliveryHandler | undefined;
  private consuming = false;
  private dlFailures = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly options: AmqpSourceOptions,
    private readonly log: Logger,
    private readonly observer: AmqpSourceObserver,
  ) {
    this.name = options.name;
    this.supervisor = new Supervisor(options.targets, (t) => this.connect(t), options.reconnect, observer, log);
    this.deadLetters = new DeadLetterPublisher(
      {
        targets: options.targets,
        queue: options.topology.deadLetterQueue,
        queueArguments: queueArgs(options.topology),
        confirmTimeoutMs: options.deadLetterConfirmTimeoutMs,
      },
      log,
    );
  }

  get ready(): boolean {
    return this.consuming && this.session !== undefined && !this.session.closed;
  }

  get inflight(): number {
    return this.session?.tracker.pending ?? 0;
  }

  oldestUnsettledSeconds(): number {
    return (this.session?.tracker.oldestUnsettledMs() ?? 0) / 1000;
  }

  start(handler: DeliveryHandler): void {
    this.handler = handler;
    this.supervisor.start();
  }

  async stopConsuming(): Promise<void> {
    const stopped = this.supervisor.stop();
    const s = this.session;
    const tag = s?.consumerTag;
    if (s !== undefined && tag !== undefined && !s.closed) {
      s.consumerTag = undefined;
      await s.ch.cancel(tag).catch(() => undefined);
      this.log.info({ source: this.name, queue: this.options.topology.queue }, 'stopped consuming');
    }
    this.consuming = false;
    // The loop ends once the session does; do not wait for that here (close() does).
    void stopped;
  }

  async close(): Promise<void> {
    await this.stopConsuming();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const s = this.session;
    if (s !== undefined && !s.closed) {
      const unsettled = s.tracker.ackSettledOutOfOrder();
      if (unsettled > 0) this.log.info({ source: this.name, messages: unsettled }, 'unsettled messages go back to the queue');
      s.end('shutdown');
      this.log.info({ source: this.name, broker: s.target.address }, 'connection closed');
    }
    await this.supervisor.stop();
    await this.deadLetters.close();
    this.observer.connected(false);
  }

  /** Connects and starts consuming; resolves to a promise that settles when the session dies. */
  private async connect(target: BrokerTarget): Promise<{ closed: Promise<void> }> {
    this.log.info({ source: this.name, broker: target.address }, 'connecting to RabbitMQ');
    const conn = await amqp.connect(target.url, target.socketOptions);
    let onClosed!: () => void;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    let connGone = false;
    let session: Session | undefined;
    let ended = false;
    const end = (why: string, err?: Error): void => {
      if (ended) return;
      ended = true;
      this.consuming = false;
      if (session !== undefined) {
        session.closed = true;
        session.tracker.kill();
      }
      if (!this.supervisor.stopped) this.log.warn({ source: this.name, broker: target.address, err: err?.message }, why);
      if (connGone) {
        onClosed();
        return;
      }
      // Resolve once the close handshake is over, so a shutdown leaves nothing half-open; a
      // connection the broker is closing at the same moment may never answer, hence the timer.
      setTimeout(onClosed, 5000).unref();
      // amqplib writes each channel through its own buffer and interleaves them on the socket, so
      // a connection.close can overtake the channel's last acks, and the broker discards what
      // follows a close: the acks would be lost and the messages redelivered. Closing the channel
      // first orders the acks before its close-ok.
      const channelClosed = session !== undefined ? session.ch.close().catch(() => undefined) : Promise.resolve();
      void channelClosed
        .then(() => conn.close())
        .catch(() => undefined)
        .finally(onClosed);
    };
    conn.on('error', (err: Error) => end('connection error', err));
    conn.on('close', (err?: Error) => {
      connGone = true;
      if (ended) onClosed();
      else end('connection lost', err);
    });
    conn.on('blocked', (reason: string) => this.log.warn({ reason }, 'broker blocked the connection'));
    conn.on('unblocked', () => this.log.info('broker unblocked the connection'));
    try {
      const ch = await conn.createChannel();
      await declareTopology(conn, ch, this.options.topology);
      // Says which exchanges are heard: an exchange left out is the silent way to miss a service.
      this.log.info({ source: this.name, exchanges: boundExchanges(this.options.topology.exchanges) }, 'bound exchanges');
      const tracker = new AckTracker(ch, (err) => end('ack failed', err));
      session = { conn, ch, tracker, target, closed: false, end };
      ch.on('error', (err: Error) => end('channel error', err));
      ch.on('close', () => end('channel closed'));
      await ch.prefetch(this.options.prefetch);
      if (ended) throw new Error('the connection closed during setup');
      this.session = session;
      const s = session;
      const t = this.options.topology;
      const ok = await ch.consume(t.queue, (msg) => this.onMessage(s, msg), { noAck: false });
      s.consumerTag = ok.consumerTag;
      this.consuming = !this.supervisor.stopped && !ended;
      this.observer.connected(this.consuming);
      this.log.info(
        { source: this.name, broker: target.address, queue: t.queue, exchanges: t.exchanges, routingKeys: t.routingKeys },
        'consuming',
      );
      // Shutdown came during setup: close() may not have seen this session yet, so end it here,
      // or the supervisor would wait on it for ever.
      if (this.supervisor.stopped) end('shutdown during setup');
    } catch (err) {
      end('setup failed', err as Error);
      throw err;
    }
    return { closed };
  }

  private onMessage(s: Session, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted, node down): start over.
      s.end('consumer cancelled by the broker');
      return;
    }
    const entry = s.tracker.add(msg);
    const tracker = s.tracker;
    let settled = false;
    const delivery: Delivery = {
      body: msg.content,
      meta: { exchange: msg.fields.exchange, routingKey: msg.fields.routingKey },
      redelivered: msg.fields.redelivered,
      windowFull: tracker.pending >= this.options.prefetch,
      settle: (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        this.settle(tracker, entry, msg, outcome);
      },
      get live() {
        return tracker.live;
      },
    };
    this.handler?.(delivery);
  }

  private settle(tracker: AckTracker, entry: Entry, msg: ConsumeMessage, outcome: Outcome): void {
    switch (outcome.status) {
      case 'delivered':
        tracker.ack(entry);
        return;
      case 'errored':
        this.observer.requeued(outcome.why);
        tracker.requeue(entry);
        return;
      case 'rejected': {
        if (!tracker.live) return; // the broker redelivers it; it is dead-lettered then
        const code = outcome.reason.code;
        void this.deadLetters
          .publish({ body: msg.content, reason: outcome.reason, exchange: msg.fields.exchange, routingKey: msg.fields.routingKey })
          .then((r) => {
            if (r.ok) {
              this.dlFailures = 0;
              this.observer.deadLettered(code);
              tracker.ack(entry);
              return;
            }
            this.observer.deadLetterFailed(code);
            const delay = Math.min(this.options.deadLetterRetryMaxDelayMs, 1000 * 2 ** Math.min(this.dlFailures++, 10));
            this.log.warn(
              { source: this.name, code, why: r.why, requeueInMs: delay },
              'dead-letter publish failed; the message goes back to the queue',
            );
            const t = setTimeout(() => {
              this.timers.delete(t);
              this.observer.requeued('dead_letter_failed');
              tracker.requeue(entry);
            }, delay);
            this.timers.add(t);
          });
        return;
      }
    }
  }
}
