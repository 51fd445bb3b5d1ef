import type { Channel, ChannelModel } from 'amqplib';

/** What the exporter declares and binds on its broker. */
export interface TopologyOptions {
  readonly exchanges: readonly string[];
  readonly routingKeys: readonly string[];
  readonly queue: string;
  readonly deadLetterQueue: string;
  readonly queueType: 'classic' | 'quorum';
  readonly exchangeDurable: boolean;
}

type AmqpConfig = TopologyOptions;

/**
 * Declares what the exporter needs, never fighting oslo over its exchanges: an existing exchange
 * is only checked (passive), a missing one is declared exactly as oslo would (topic, durable per
 * amqp.exchangeDurable, not auto-delete), so either side may start first.
 */
export async function declareTopology(conn: ChannelModel, ch: Channel, cfg: AmqpConfig): Promise<void> {
  const bound = boundExchanges(cfg.exchanges);
  for (const exchange of bound) await ensureExchange(conn, exchange, cfg.exchangeDurable);
  await ch.assertQueue(cfg.deadLetterQueue, { durable: true, arguments: queueArgs(cfg) });
  // A producer that sends to a named queue on the default exchange (sapcc/go-bits audittools)
  // may have declared that queue itself, transient: it is used as it is, declared only if missing.
  const producersQueue = bound.length < cfg.exchanges.length && (await queueExists(conn, cfg.queue));
  if (!producersQueue) await ch.assertQueue(cfg.queue, { durable: true, arguments: queueArgs(cfg) });
  for (const exchange of bound) {
    for (const key of cfg.routingKeys) await ch.bindQueue(cfg.queue, exchange, key);
  }
}

/**
 * RabbitMQ's name for the default exchange. It cannot be bound (every queue is on it under its
 * own name), so listing it means "consume the queue as named, for producers that sendToQueue".
 */
export const DEFAULT_EXCHANGE = 'amq.default';

/** The exchanges to declare and bind: all but the default exchange. */
export function boundExchanges(exchanges: readonly string[]): string[] {
  return exchanges.filter((e) => e !== DEFAULT_EXCHANGE);
}

async function queueExists(conn: ChannelModel, name: string): Promise<boolean> {
  const probe = await conn.createChannel();
  probe.on('error', () => undefined);
  try {
    await probe.checkQueue(name);
    await probe.close();
    return true;
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    return false;
  }
}

export function queueArgs(cfg: Pick<AmqpConfig, 'queueType'>): Record<string, unknown> {
  return cfg.queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
}

export async function ensureExchange(conn: ChannelModel, name: string, durable: boolean): Promise<void> {
  // A failed passive declare closes its channel, so it gets a throwaway one.
  const probe = await conn.createChannel();
  probe.on('error', () => undefined);
  try {
    await probe.checkExchange(name);
    await probe.close();
    return;
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
  const ch = await conn.createChannel();
  try {
    // As oslo declares it (impl_rabbit: topic, durable = amqp_durable_queues, auto_delete false).
    await ch.assertExchange(name, 'topic', { durable, autoDelete: false });
  } finally {
    await ch.close().catch(() => undefined);
  }
}
