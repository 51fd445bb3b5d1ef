import amqp, { type ChannelModel, type ConfirmChannel, type Message } from 'amqplib';
import type { Logger } from '../../logger.js';
import type { DeadLetterReason } from '../types.js';
import type { BrokerTarget } from './connect-options.js';

export interface DeadLetterOptions {
  /** Brokers to publish to, in failover order (the consumer's own list). */
  readonly targets: readonly BrokerTarget[];
  readonly queue: string;
  /** Declare arguments of the queue (x-queue-type), to declare it again when it was deleted. */
  readonly queueArguments: Record<string, unknown>;
  /** A publish whose confirm has not come by then failed. */
  readonly confirmTimeoutMs: number;
}

export type DeadLetterResult = { readonly ok: true } | { readonly ok: false; readonly why: string };

export interface DeadLetterMessage {
  readonly body: Buffer;
  readonly reason: DeadLetterReason;
  readonly exchange: string | undefined;
  readonly routingKey: string | undefined;
}

/**
 * Publishes dead letters on a connection of its own, as RabbitMQ advises: flow control (a
 * `blocked` publishing connection) must never stop the consumer's acks. Each dead letter is
 * published `mandatory` with confirms, and counts as done only when the broker confirmed it *and*
 * routed it: a returned message means the queue is gone, so it is declared again and the
 * publish tried once more. A nack (a queue refusing publishes), a confirm timeout or a lost
 * connection is a failure the caller answers by requeueing the original.
 */
export class DeadLetterPublisher {
  private channel: Promise<ConfirmChannel> | undefined;
  private conn: ChannelModel | undefined;
  private next = 0;
  private readonly returned = new Set<string>();
  private targetIndex = 0;
  private closed = false;

  constructor(
    private readonly options: DeadLetterOptions,
    private readonly log: Logger,
  ) {}

  async publish(m: DeadLetterMessage): Promise<DeadLetterResult> {
    if (this.closed) return { ok: false, why: 'shutting down' };
    try {
      const first = await this.publishOnce(m);
      if (first !== 'returned') return { ok: true };
      this.log.warn({ queue: this.options.queue }, 'dead-letter queue missing (message returned): declaring it again');
      const ch = await this.ensureChannel();
      await ch.assertQueue(this.options.queue, { durable: true, arguments: this.options.queueArguments });
      const second = await this.publishOnce(m);
      return second === 'returned' ? { ok: false, why: 'returned unroutable after declaring the queue again' } : { ok: true };
    } catch (err) {
      return { ok: false, why: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const conn = this.conn;
    this.conn = undefined;
    this.channel = undefined;
    await conn?.close().catch(() => undefined);
  }

  private async publishOnce(m: DeadLetterMessage): Promise<'confirmed' | 'returned'> {
    const ch = await this.ensureChannel();
    const id = `dl-${++this.next}`;
    const headers = {
      'x-cadf-error-code': m.reason.code,
      'x-cadf-error-message': m.reason.message.slice(0, 1000),
      'x-cadf-exchange': m.exchange ?? '',
      'x-cadf-routing-key': m.routingKey ?? '',
      'x-cadf-dead-letter-id': id,
    };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no confirm within ${this.options.confirmTimeoutMs} ms`));
        // A channel that does not confirm is not to be trusted with the next one.
        this.reset();
      }, this.options.confirmTimeoutMs);
      timer.unref();
      try {
        ch.sendToQueue(this.options.queue, m.body, { persistent: true, mandatory: true, headers }, (err: unknown) => {
          clearTimeout(timer);
          if (err) reject(new Error('the broker refused the dead letter (nack): is the queue full or limited?'));
          else resolve();
        });
      } catch (err) {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    // basic.return comes before basic.ack for an unroutable mandatory message, so it is known now.
    return this.returned.delete(id) ? 'returned' : 'confirmed';
  }

  private ensureChannel(): Promise<ConfirmChannel> {
    this.channel ??= this.open().catch((err: unknown) => {
      this.reset();
      throw err;
    });
    return this.channel;
  }

  private async open(): Promise<ConfirmChannel> {
    const targets = this.options.targets;
    let lastError: Error | undefined;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(this.targetIndex + i) % targets.length]!;
      try {
        const conn = await amqp.connect(target.url, {
          ...target.socketOptions,
          clientProperties: { connection_name: 'cadf-exporter dead letters' },
        });
        this.targetIndex = (this.targetIndex + i) % targets.length;
        conn.on('error', (err: Error) => this.log.warn({ err: err.message }, 'dead-letter connection error'));
        conn.on('close', () => {
          if (this.conn === conn) this.reset();
        });
        conn.on('blocked', (reason: string) => this.log.warn({ reason }, 'broker blocked the dead-letter connection'));
        const ch = await conn.createConfirmChannel();
        ch.on('error', (err: Error) => this.log.warn({ err: err.message }, 'dead-letter channel error'));
        ch.on('close', () => {
          if (this.conn === conn) this.reset();
        });
        ch.on('return', (msg: Message) => {
          const headers: Record<string, unknown> | undefined = msg.properties.headers;
          const id = headers?.['x-cadf-dead-letter-id'];
          if (typeof id === 'string') this.returned.add(id);
        });
        if (this.closed) {
          await conn.close().catch(() => undefined);
          throw new Error('shutting down');
        }
        this.conn = conn;
        return ch;
      } catch (err) {
        lastError = err as Error;
      }
    }
    this.targetIndex += 1;
    throw new Error(`cannot open the dead-letter connection: ${lastError?.message ?? 'no broker'}`);
  }

  private reset(): void {
    const conn = this.conn;
    this.conn = undefined;
    this.channel = undefined;
    this.returned.clear();
    void conn?.close().catch(() => undefined);
  }
}
