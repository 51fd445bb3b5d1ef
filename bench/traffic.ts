import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp, { type ConfirmChannel } from 'amqplib';

const SAMPLES = join(import.meta.dirname, '..', 'test', 'testdata', 'samples');
const ID = '@@ID@@';
const TIME = '@@TIME@@';

interface Template {
  /** The body split at the id and time placeholders. */
  readonly parts: string[];
  /** Whether the id comes before the time in the body. */
  readonly idFirst: boolean;
  readonly keystone: boolean;
}

/**
 * Realistic traffic: the shared samples' mix as oslo v2 envelopes (what `messagingv2` sends), each
 * with a fresh message_id and, optionally, eventTime = now.
 */
export class Traffic {
  private readonly templates: Template[];

  constructor() {
    this.templates = readdirSync(SAMPLES)
      .filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json') && !f.includes('cadf-spec'))
      .map((f) => {
        const outer = JSON.parse(readFileSync(join(SAMPLES, f), 'utf8')) as Record<string, unknown>;
        const msg = (typeof outer['oslo.message'] === 'string' ? JSON.parse(outer['oslo.message']) : outer) as Record<string, unknown>;
        msg.message_id = ID;
        const payload = msg.payload as Record<string, unknown>;
        if (typeof payload.eventTime === 'string') payload.eventTime = TIME;
        else msg.timestamp = TIME;
        const body = JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(msg) });
        return {
          parts: body.split(/@@ID@@|@@TIME@@/),
          idFirst: body.indexOf(ID) < body.indexOf(TIME),
          keystone: String(msg.event_type).startsWith('identity.'),
        };
      });
  }

  get averageBytes(): number {
    return this.templates.reduce((s, t) => s + t.parts.join('x'.repeat(36)).length, 0) / this.templates.length;
  }

  /** The i-th message: its body and whether it goes to the keystone exchange. */
  message(i: number, eventTime = '2026-11-23T00:00:00.000000+0000'): { body: Buffer; keystone: boolean } {
    const t = this.templates[i % this.templates.length]!;
    const [a, b, c] = t.parts as [string, string, string];
    const id = randomUUID();
    const body = t.idFirst ? a + id + b + eventTime + c : a + eventTime + b + id + c;
    return { body: Buffer.from(body), keystone: t.keystone };
  }
}

export function nowCadf(): string {
  const d = new Date();
  return `${d.toISOString().slice(0, 23)}000+0000`;
}

export class Publisher {
  private constructor(
    readonly conn: amqp.ChannelModel,
    readonly ch: ConfirmChannel,
  ) {}

  static async connect(url: string): Promise<Publisher> {
    const conn = await amqp.connect(url);
    return new Publisher(conn, await conn.createConfirmChannel());
  }

  /** Publishes n messages, waiting for confirms every 5,000 (broker-paced, no unbounded buffer). */
  async publish(n: number, traffic: Traffic, route: (keystone: boolean) => [exchange: string, key: string], eventTime?: () => string): Promise<void> {
    for (let i = 0; i < n; i++) {
      const m = traffic.message(i, eventTime?.());
      const [exchange, key] = route(m.keystone);
      if (!this.ch.publish(exchange, key, m.body, { deliveryMode: 2, contentType: 'application/json' })) {
        await new Promise((r) => this.ch.once('drain', r));
      }
      if (i % 5000 === 4999) await this.ch.waitForConfirms();
    }
    await this.ch.waitForConfirms();
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}
