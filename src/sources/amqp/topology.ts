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
  for (const exchange of cfg.exchanges) await ensureExchange(conn, exchange, cfg.exchangeDurable);
  await ch.assertQueue(cfg.deadLetterQueue, { durable: true, arguments: queueArgs(cfg) });
  await ch.assertQueue(cfg.queue, { durable: true, arguments: queueArgs(cfg) });
  for (const exchange of cfg.exchanges) {
    for (const key of cfg.routingKeys) await ch.bindQueue(cfg.queue, exchange, key);
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
    await ch.assertExchange(name, 'topic', { durable, autoDelete: false });
  } finally {
    await ch.close().catch(() => undefined);
  }
}
