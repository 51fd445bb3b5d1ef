import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../logger.js';
import type { DeadLetterReason, Delivery, DeliveryHandler, Source } from '../types.js';
import { AckTracker } from './ack-tracker.js';
import { brokerTargets, type BrokerTarget } from './connect-options.js';
import { declareTopology } from './topology.js';

export interface SourceObserver {
  connected(up: boolean): void;
  reconnecting(): void;
}

/** One connection's channels; replaced whole on any failure. */
interface Session {
  readonly conn: ChannelModel;
  readonly ch: Channel;
  readonly dlq: ConfirmChannel;
  readonly tracker: AckTracker;
  readonly target: BrokerTarget;
  consumerTag?: string;
  closed: boolean;
  /** Tears the session down (idempotent); the supervisor then reconnects unless stopping. */
  readonly end: (why: string, err?: Error) => void;
}

/**
 * RabbitMQ source: its own durable queue bound to the oslo exchanges, manual acks after export,
 * and a supervisor that reconnects (capped exponential backoff with jitter, rotating through the
 * configured brokers) after a lost connection, a closed channel or a consumer the broker cancelled.
 */
export class AmqpSource implements Source {
  private readonly targets: BrokerTarget[];
  private session: Session | undefined;
  private handler: DeliveryHandler | undefined;
  private stopping = false;
  private consuming = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly cfg: Config['amqp'],
    private readonly log: Logger,
    private readonly observer: SourceObserver,
  ) {
    this.targets = brokerTargets(cfg);
  }

  get ready(): boolean {
    return this.consuming && this.session !== undefined && !this.session.closed;
  }

  get inflight(): number {
    return this.session?.tracker.pending ?? 0;
  }

  start(handler: DeliveryHandler): void {
    this.handler = handler;
    this.loop = this.supervise();
  }

  async stopConsuming(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const s = this.session;
    const tag = s?.consumerTag;
    if (s !== undefined && tag !== undefined && !s.closed) {
      s.consumerTag = undefined;
      await s.ch.cancel(tag).catch(() => undefined);
      this.log.info({ queue: this.cfg.queue }, 'stopped consuming');
    }
    this.consuming = false;
  }

  async close(): Promise<void> {
    await this.stopConsuming();
    const s = this.session;
    if (s !== undefined && !s.closed) {
      s.end('shutdown');
      this.log.info({ broker: s.target.address }, 'connection closed');
    }
    await this.loop;
    this.observer.connected(false);
  }

  async deadLetter(d: Delivery, reason: DeadLetterReason): Promise<void> {
    const s = this.session;
    // On a dead channel the broker redelivers the message; it will be dead-lettered then.
    if (s === undefined || s.closed || !d.live) return;
    const headers = {
      'x-cadf-error-code': reason.code,
      'x-cadf-error-message': reason.message.slice(0, 1000),
      'x-cadf-exchange': d.meta.exchange ?? '',
      'x-cadf-routing-key': d.meta.routingKey ?? '',
    };
    try {
      await new Promise<void>((resolve, reject) => {
        s.dlq.sendToQueue(this.cfg.deadLetterQueue, d.body, { persistent: true, headers }, (err: unknown) =>
          err ? reject(err instanceof Error ? err : new Error('the broker did not confirm the publish')) : resolve(),
        );
      });
      d.settle();
    } catch (err) {
      // Not settled: the channel is failing, the message comes back after the reconnect.
      this.log.warn({ err: (err as Error).message }, 'dead-letter publish failed; the message stays queued');
    }
  }

  private async supervise(): Promise<void> {
    let attempt = 0;
    let index = 0;
    while (!this.stopping) {
      const target = this.targets[index % this.targets.length]!;
      try {
        const { closed } = await this.connect(target);
        attempt = 0;
        await closed;
      } catch (err) {
        this.log.warn({ broker: target.address, err: (err as Error).message }, 'cannot connect to RabbitMQ');
        index += 1; // fail over to the next broker
      }
      this.consuming = false;
      this.observer.connected(false);
      if (this.stopping) break;
      const delay = this.backoff(attempt++);
      this.observer.reconnecting();
      this.log.info({ broker: this.targets[index % this.targets.length]!.address, delayMs: delay }, 'reconnecting');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Connects and starts consuming; resolves to a promise that settles when the session dies. */
  private async connect(target: BrokerTarget): Promise<{ closed: Promise<void> }> {
    this.log.info({ broker: target.address }, 'connecting to RabbitMQ');
    const conn = await amqp.connect(target.url, target.socketOptions);
    let onClosed!: () => void;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    let connGone = false;
    let session: Session | undefined;
    let ended = false;
    const end = (why: string, err?: Error): void => {
      if (ended) return;
      ended = true;
      if (session !== undefined) {
        session.closed = true;
        session.tracker.kill();
      }
      if (!this.stopping) this.log.warn({ broker: target.address, err: err?.message }, why);
      if (connGone) {
        onClosed();
        return;
      }
      // Resolve once the close handshake is over, so a shutdown leaves nothing half-open; a
      // connection the broker is closing at the same moment may never answer, hence the timer.
      setTimeout(onClosed, 5000).unref();
      conn
        .close()
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
      await declareTopology(conn, ch, this.cfg);
      const dlq = await conn.createConfirmChannel();
      const tracker = new AckTracker(ch, (err) => end('ack failed', err));
      session = { conn, ch, dlq, tracker, target, closed: false, end };
      ch.on('error', (err: Error) => end('channel error', err));
      ch.on('close', () => end('channel closed'));
      dlq.on('error', (err: Error) => end('dead-letter channel error', err));
      dlq.on('close', () => end('dead-letter channel closed'));
      await ch.prefetch(this.cfg.prefetch);
      this.session = session;
      const s = session;
      const ok = await ch.consume(this.cfg.queue, (msg) => this.onMessage(s, msg, end), { noAck: false });
      s.consumerTag = ok.consumerTag;
      this.consuming = !this.stopping;
      this.observer.connected(true);
      this.log.info(
        { broker: target.address, queue: this.cfg.queue, exchanges: this.cfg.exchanges, routingKeys: this.cfg.routingKeys },
        'consuming',
      );
      if (this.stopping) await ch.cancel(ok.consumerTag).catch(() => undefined);
    } catch (err) {
      end('setup failed', err as Error);
      throw err;
    }
    return { closed };
  }

  private onMessage(s: Session, msg: ConsumeMessage | null, end: (why: string) => void): void {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted, node down): start over.
      end('consumer cancelled by the broker');
      return;
    }
    const entry = s.tracker.add(msg);
    const tracker = s.tracker;
    const delivery: Delivery = {
      body: msg.content,
      meta: { exchange: msg.fields.exchange, routingKey: msg.fields.routingKey },
      redelivered: msg.fields.redelivered,
      settle: () => tracker.settle(entry),
      get live() {
        return tracker.live;
      },
    };
    this.handler?.(delivery);
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.cfg.reconnectMaxDelayMs, this.cfg.reconnectInitialDelayMs * 2 ** Math.min(attempt, 20));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
}
