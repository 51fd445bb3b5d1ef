import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';

export const AMQP_URL = process.env.CADF_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';

/** Names no other test uses, so tests never see each other's messages. */
export function testNames(prefix: string) {
  const id = `${prefix}-${randomUUID().slice(0, 8)}`;
  return {
    id,
    exchanges: [`${id}-keystone`, `${id}-openstack`],
    queue: `${id}-q`,
    deadLetterQueue: `${id}-dead`,
  };
}

export type TestNames = ReturnType<typeof testNames>;

/** A publisher that behaves like oslo.messaging: non-durable topic exchanges, persistent messages. */
export class Broker {
  private constructor(
    readonly conn: ChannelModel,
    readonly ch: ConfirmChannel,
    private readonly admin: Channel,
  ) {}

  static async connect(url: string = AMQP_URL): Promise<Broker> {
    const conn = await amqp.connect(url);
    const ch = await conn.createConfirmChannel();
    const admin = await conn.createChannel();
    return new Broker(conn, ch, admin);
  }

  async declareLikeOslo(exchange: string): Promise<void> {
    await this.ch.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
  }

  /** Publishes and waits for the broker's confirms (every 1,000 messages). */
  async publish(exchange: string, bodies: Buffer[], routingKey = 'notifications.info'): Promise<void> {
    for (let i = 0; i < bodies.length; i++) {
      const ok = this.ch.publish(exchange, routingKey, bodies[i]!, {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
      });
      if (!ok) await new Promise((r) => this.ch.once('drain', r));
      if (i % 1000 === 999) await this.ch.waitForConfirms();
    }
    await this.ch.waitForConfirms();
  }

  async messageCount(queue: string): Promise<number> {
    return (await this.admin.checkQueue(queue)).messageCount;
  }

  /** Reads every message of a queue (acking them). */
  async drain(queue: string): Promise<amqp.GetMessage[]> {
    const out: amqp.GetMessage[] = [];
    for (;;) {
      const m = await this.admin.get(queue, { noAck: true });
      if (m === false) return out;
      out.push(m);
    }
  }

  async cleanup(names: TestNames): Promise<void> {
    for (const q of [names.queue, names.deadLetterQueue]) await this.admin.deleteQueue(q).catch(() => undefined);
    for (const e of names.exchanges) await this.admin.deleteExchange(e).catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}
