import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { amqpSourceOptions } from '../app.js';
import { decode, formatTime, toRecord } from '../cadf/index.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { ensureExchange } from '../sources/amqp/topology.js';
import { formatLine, makeFilter, matches } from '../tail/format.js';
import { TailNames } from '../tail/names.js';
import { UsageError, type CommandIO } from './io.js';

export const TAIL_USAGE = `Usage: cadf-exporter tail [options] [--config FILE] [--amqp-<setting> VALUE ...]

Follows the live CADF events in a terminal, one line each:
  14:03:11 USER DELETED: success: user alice by admin from 10.0.0.5
It binds a queue of its own (exclusive, deleted when it stops) to the exchanges and routing keys
"run" uses (CADF_AMQP_*, the config file, the same flags), so it takes nothing from the exporter.
  --event GLOB     event type, e.g. 'identity.user.*'
  --outcome GLOB   success, failure, pending, unknown
  --user GLOB      who acted, or the user acted on (name or id)
  --project GLOB   the project acted in or on (name or id)
  --grep REGEX     anywhere in the line, case-insensitive
  --data-dir DIR   the exporter's name memory (read only): names for ids
  --json           one JSON record per line instead (for jq and other pipes)
  --ids            keep ids beside names
  --no-color       no colour (also NO_COLOR; colour only on a terminal anyway)
Ctrl-C stops it.`;

const VALUE_FLAGS = ['event', 'outcome', 'user', 'project', 'grep', 'data-dir'] as const;
const BOOL_FLAGS = ['json', 'ids', 'no-color', 'help'] as const;

interface TailOptions {
  readonly values: Partial<Record<(typeof VALUE_FLAGS)[number], string>>;
  readonly flags: ReadonlySet<string>;
  /** Everything else: the config loader's flags. */
  readonly rest: string[];
}

export function parseTailArgs(args: readonly string[]): TailOptions {
  const values: Partial<Record<(typeof VALUE_FLAGS)[number], string>> = {};
  const flags = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [name, inline] = a.startsWith('--') ? [a.slice(2).split('=')[0]!, a.includes('=') ? a.slice(a.indexOf('=') + 1) : undefined] : ['', undefined];
    if ((VALUE_FLAGS as readonly string[]).includes(name)) {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`--${name} needs a value\n\n${TAIL_USAGE}`);
      values[name as (typeof VALUE_FLAGS)[number]] = v;
    } else if ((BOOL_FLAGS as readonly string[]).includes(name) || a === '-h') {
      flags.add(a === '-h' ? 'help' : name);
    } else {
      rest.push(a);
    }
  }
  if (values.grep !== undefined) {
    try {
      new RegExp(values.grep);
    } catch (err) {
      throw new UsageError(`--grep: ${(err as Error).message}`);
    }
  }
  return { values, flags, rest };
}

interface Tap {
  readonly conn: ChannelModel;
  readonly ch: Channel;
  readonly queue: string;
  /** Marks the close that follows as ours, so it is not reported as a lost connection. */
  readonly closing: () => void;
}

export async function tailCommand(args: string[], io: CommandIO, stop?: Promise<void>): Promise<number> {
  const o = parseTailArgs(args);
  if (o.flags.has('help')) {
    io.stdout(`${TAIL_USAGE}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig({ args: o.rest });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`cadf-exporter: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const filter = makeFilter(o.values);
  const names = new TailNames(o.values['data-dir']);
  const json = o.flags.has('json');
  // Colour only for a person at a terminal (https://no-color.org: any NO_COLOR turns it off).
  const colour = !json && !o.flags.has('no-color') && (process.env.NO_COLOR ?? '') === '' && process.stdout.isTTY;
  const taps: Tap[] = [];
  let failed: ((e: Error) => void) | undefined;
  const lost = new Promise<Error>((resolve) => (failed = resolve));

  const onMessage = (m: ConsumeMessage | null): void => {
    if (m === null) {
      failed?.(new Error('the broker cancelled the consumer'));
      return;
    }
    const d = decode(m.content, { exchange: m.fields.exchange, routingKey: m.fields.routingKey });
    if (!d.ok) {
      // On stderr even with --json: a pipe reading stdout sees records only.
      io.stderr(`undecodable message on ${m.fields.exchange}: ${d.error.code}\n`);
      return;
    }
    names.fill(d.event);
    const r = toRecord(d.event);
    if (!matches(filter, r)) return;
    if (json) {
      const timestamp = r.timestamp === undefined ? null : formatTime(r.timestamp);
      io.stdout(`${JSON.stringify({ eventName: r.eventName, timestamp, severityText: r.severityText, body: r.body, attributes: r.attributes })}\n`);
    } else {
      io.stdout(`${formatLine(r, { colour, ids: o.flags.has('ids') })}\n`);
    }
  };

  try {
    for (const source of amqpSourceOptions(config.amqp)) taps.push(await openTap(source, onMessage, (e) => failed?.(e)));
  } catch (err) {
    await closeAll(taps);
    io.stderr(`cadf-exporter tail: cannot connect: ${(err as Error).message}\n`);
    return 1;
  }
  const topo = amqpSourceOptions(config.amqp)[0]!.topology;
  io.stderr(`tailing ${topo.exchanges.join(', ')} (${topo.routingKeys.join(', ')}) on queue ${taps.map((t) => t.queue).join(', ')}; Ctrl-C to stop\n`);

  const signalled = new Promise<string>((resolve) => {
    const on = (s: string) => () => resolve(s);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
  const why = await Promise.race([signalled, lost, ...(stop !== undefined ? [stop.then(() => 'stop')] : [])]);
  await closeAll(taps);
  if (why instanceof Error) {
    io.stderr(`cadf-exporter tail: ${why.message}\n`);
    return 1;
  }
  return 0;
}

/** One broker: its exchanges checked (declared as oslo would when missing), a private queue bound. */
async function openTap(source: ReturnType<typeof amqpSourceOptions>[number], onMessage: (m: ConsumeMessage | null) => void, onLost: (e: Error) => void): Promise<Tap> {
  let conn: ChannelModel | undefined;
  let lastError: Error | undefined;
  for (const t of source.targets) {
    try {
      conn = await amqp.connect(t.url, { ...t.socketOptions, clientProperties: { connection_name: 'cadf-exporter tail' } });
      break;
    } catch (err) {
      lastError = new Error(`${t.address}: ${(err as Error).message}`);
    }
  }
  if (conn === undefined) throw lastError ?? new Error('no broker URL');
  conn.on('error', () => undefined);
  const tap = conn;
  let closing = false;
  conn.on('close', () => {
    if (!closing) onLost(new Error('the broker connection closed'));
  });
  try {
    const topo = source.topology;
    for (const e of topo.exchanges) await ensureExchange(conn, e, topo.exchangeDurable);
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    // Exclusive and auto-delete: it is this process's alone and goes away with its connection,
    // even after a kill -9. A name that says whose it is, for `rabbitmqctl list_queues`.
    const queue = `cadf-exporter.tail.${randomUUID().slice(0, 8)}`;
    await ch.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
    for (const e of topo.exchanges) for (const k of topo.routingKeys) await ch.bindQueue(queue, e, k);
    // A viewer: no acks, nothing redelivered to it, nothing taken from anyone else.
    await ch.consume(queue, onMessage, { noAck: true, exclusive: true });
    return { conn: tap, ch, queue, closing: () => (closing = true) };
  } catch (err) {
    closing = true;
    await conn.close().catch(() => undefined);
    throw err;
  }
}

async function closeAll(taps: readonly Tap[]): Promise<void> {
  for (const t of taps) {
    t.closing();
    await t.ch.close().catch(() => undefined);
    await t.conn.close().catch(() => undefined);
  }
}
