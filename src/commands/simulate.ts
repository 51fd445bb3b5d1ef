import { parseArgs } from 'node:util';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { firstAmqpUrlFromEnv } from '../config/load.js';
import { redactUrl } from '../config/redact.js';
import type { Kind, Notification } from '../simulate/notification.js';
import { Traffic } from '../simulate/traffic.js';
import { UsageError, type CommandIO } from './io.js';

export const SIMULATE_USAGE = `Usage: cadf-exporter simulate [options]

Publishes realistic OpenStack audit traffic to RabbitMQ, as Keystone and keystonemiddleware do
(oslo v2 and v1 envelopes): logins (some failing), identity changes across resource types, role
grants and revocations, deletions, API request/response pairs, and optional bursts of failed
logins from one address. For demos and for testing dashboards and alerts; never against a
production broker.
  --amqp-url URL            broker (default: $CADF_AMQP_URL, first URL, else amqp://guest:guest@127.0.0.1:5672/)
  --rate N                  notifications per second (default 10)
  --duration S              stop after S seconds; 0 = until SIGINT/SIGTERM (default 0)
  --failure-ratio R         fraction of logins that fail, 0..1 (default 0.1)
  --api-failure-ratio R     fraction of API calls that fail, 0..1 (default 0.1)
  --burst-every S           every S seconds, a burst of failed logins from one address; 0 = none (default 0)
  --burst-size N            failed logins per burst, on top of --rate (default 60)
  --v1-ratio R              fraction sent in the oslo v1 envelope (driver "messaging"), 0..1 (default 0.2)
  --exchange-keystone NAME  Keystone's exchange (default keystone)
  --exchange-api NAME       the audited APIs' exchange (default openstack)
  --routing-key KEY         (default notifications.info)
  --seed N                  repeat a run exactly (default: random)
  --progress-every S        a progress line on stderr every S seconds; 0 = only at the end (default 5)
Missing exchanges are declared as oslo.messaging declares them (topic, not durable).
Exit status: 0 stopped (duration reached or signal), 1 broker error, 2 usage error.`;

export interface SimulateOptions {
  readonly amqpUrl: string;
  readonly rate: number;
  readonly durationS: number;
  readonly failureRatio: number;
  readonly apiFailureRatio: number;
  readonly burstEveryS: number;
  readonly burstSize: number;
  readonly v1Ratio: number;
  readonly exchangeKeystone: string;
  readonly exchangeApi: string;
  readonly routingKey: string;
  readonly seed: number;
  readonly progressEveryS: number;
}

const TICK_MS = 50;

export async function simulateCommand(args: string[], io: CommandIO): Promise<number> {
  const opts = parseOptions(args);
  if (opts === 'help') {
    io.stdout(`${SIMULATE_USAGE}\n`);
    return 0;
  }
  let conn: ChannelModel;
  let ch: ConfirmChannel;
  try {
    conn = await amqp.connect(opts.amqpUrl, { clientProperties: { connection_name: 'cadf-exporter simulate' } });
    for (const ex of [opts.exchangeKeystone, opts.exchangeApi]) await ensureExchange(conn, ex);
    ch = await conn.createConfirmChannel();
  } catch (err) {
    io.stderr(`cadf-exporter simulate: cannot reach ${redactUrl(opts.amqpUrl)}: ${(err as Error).message}\n`);
    return 1;
  }
  // A lost connection ends the run (exit 1); "error" must have a listener or it would throw.
  let broken: Error | undefined;
  conn.on('error', (err: Error) => (broken ??= err));
  conn.on('close', () => (broken ??= new Error('connection closed by the broker')));
  ch.on('error', (err: Error) => (broken ??= err));

  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  io.stderr(
    `simulate: publishing to ${redactUrl(opts.amqpUrl)} (exchanges ${opts.exchangeKeystone}, ${opts.exchangeApi}) at ${opts.rate}/s, ` +
      `login failure ratio ${opts.failureRatio}${opts.burstEveryS > 0 ? `, a burst of ${opts.burstSize} every ${opts.burstEveryS} s` : ''}` +
      `${opts.durationS > 0 ? ` for ${opts.durationS} s` : ' until stopped'}; seed ${opts.seed}\n`,
  );
  const traffic = new Traffic({ failureRatio: opts.failureRatio, apiFailureRatio: opts.apiFailureRatio, v1Ratio: opts.v1Ratio, seed: opts.seed });
  const tally = new Tally();
  const start = Date.now();
  let steady = 0;
  let nextBurst = opts.burstEveryS > 0 ? start + opts.burstEveryS * 1000 : Infinity;
  let nextProgress = opts.progressEveryS > 0 ? start + opts.progressEveryS * 1000 : Infinity;
  const exchange = (n: Notification): string => (n.destination === 'keystone' ? opts.exchangeKeystone : opts.exchangeApi);
  const publish = async (batch: Notification[]): Promise<void> => {
    for (const n of batch) {
      const ok = ch.publish(exchange(n), opts.routingKey, n.body, {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        messageId: n.messageId,
      });
      tally.add(n.kind);
      if (!ok) await new Promise((resolve) => ch.once('drain', resolve));
    }
  };

  let code = 0;
  try {
    while (!stopping && broken === undefined) {
      const now = Date.now();
      const elapsedS = (now - start) / 1000;
      if (opts.durationS > 0 && elapsedS >= opts.durationS) break;
      const due = Math.floor(opts.rate * elapsedS) + 1;
      while (steady < due && !stopping) {
        const batch = traffic.next(Date.now());
        await publish(batch);
        steady += batch.length;
      }
      if (now >= nextBurst) {
        await publish(traffic.burst(Date.now(), opts.burstSize));
        tally.bursts += 1;
        nextBurst += opts.burstEveryS * 1000;
      }
      await ch.waitForConfirms();
      if (now >= nextProgress) {
        io.stderr(`${tally.line(elapsedS)}\n`);
        nextProgress += opts.progressEveryS * 1000;
      }
      await sleep(Math.max(0, TICK_MS - (Date.now() - now)));
    }
    if (broken === undefined) await ch.waitForConfirms();
  } catch (err) {
    broken ??= err as Error;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  if (broken !== undefined) {
    io.stderr(`cadf-exporter simulate: broker error: ${broken.message}\n`);
    code = 1;
  }
  io.stderr(`${tally.line((Date.now() - start) / 1000)} (${stopping ? 'stopped by signal' : code === 0 ? 'done' : 'failed'})\n`);
  await conn.close().catch(() => undefined);
  return code;
}

/**
 * Declares `name` only when it does not exist, as oslo.messaging would (topic, durable false):
 * re-declaring an existing exchange with other properties would close the channel (406).
 */
async function ensureExchange(conn: ChannelModel, name: string): Promise<void> {
  const probe = await conn.createChannel();
  probe.on('error', () => undefined); // a 404 for a missing exchange closes this channel
  try {
    await probe.checkExchange(name);
    await probe.close();
    return;
  } catch {
    // missing: declare it
  }
  const ch = await conn.createChannel();
  await ch.assertExchange(name, 'topic', { durable: false, autoDelete: false });
  await ch.close();
}

/** What was published, for the progress line. */
class Tally {
  readonly counts: Record<Kind, number> = {
    login_success: 0,
    login_failure: 0,
    burst_failure: 0,
    identity: 0,
    role_assignment: 0,
    api_request: 0,
    api_response: 0,
  };
  bursts = 0;
  total = 0;

  add(kind: Kind): void {
    this.counts[kind] += 1;
    this.total += 1;
  }

  line(elapsedS: number): string {
    const c = this.counts;
    const rate = elapsedS > 0 ? this.total / elapsedS : 0;
    return (
      `simulate: ${elapsedS.toFixed(1)} s, ${this.total} sent (${rate.toFixed(1)}/s): ` +
      `logins ${c.login_success + c.login_failure} (${c.login_failure} failed), ` +
      `bursts ${this.bursts} (${c.burst_failure} failed logins), identity ${c.identity}, ` +
      `role assignments ${c.role_assignment}, api calls ${c.api_response}`
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function parseOptions(args: string[]): SimulateOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        'amqp-url': { type: 'string' },
        rate: { type: 'string', default: '10' },
        duration: { type: 'string', default: '0' },
        'failure-ratio': { type: 'string', default: '0.1' },
        'api-failure-ratio': { type: 'string', default: '0.1' },
        'burst-every': { type: 'string', default: '0' },
        'burst-size': { type: 'string', default: '60' },
        'v1-ratio': { type: 'string', default: '0.2' },
        'exchange-keystone': { type: 'string', default: 'keystone' },
        'exchange-api': { type: 'string', default: 'openstack' },
        'routing-key': { type: 'string', default: 'notifications.info' },
        seed: { type: 'string' },
        'progress-every': { type: 'string', default: '5' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${SIMULATE_USAGE}`);
  }
  if (values.help) return 'help';
  const amqpUrl = values['amqp-url'] ?? firstAmqpUrlFromEnv() ?? 'amqp://guest:guest@127.0.0.1:5672/';
  if (!/^amqps?:\/\//.test(amqpUrl)) throw new UsageError(`--amqp-url must be an amqp:// or amqps:// URL, got "${redactUrl(amqpUrl)}"`);
  for (const flag of ['exchange-keystone', 'exchange-api', 'routing-key'] as const) {
    if (values[flag] === '') throw new UsageError(`--${flag} must not be empty`);
  }
  return {
    amqpUrl,
    rate: num(values.rate, 'rate', { min: 0, exclusiveMin: true }),
    durationS: num(values.duration, 'duration', { min: 0 }),
    failureRatio: num(values['failure-ratio'], 'failure-ratio', { min: 0, max: 1 }),
    apiFailureRatio: num(values['api-failure-ratio'], 'api-failure-ratio', { min: 0, max: 1 }),
    burstEveryS: num(values['burst-every'], 'burst-every', { min: 0 }),
    burstSize: num(values['burst-size'], 'burst-size', { min: 1, integer: true }),
    v1Ratio: num(values['v1-ratio'], 'v1-ratio', { min: 0, max: 1 }),
    exchangeKeystone: values['exchange-keystone'],
    exchangeApi: values['exchange-api'],
    routingKey: values['routing-key'],
    seed: values.seed === undefined ? Date.now() % 2 ** 31 : num(values.seed, 'seed', { min: 0, integer: true }),
    progressEveryS: num(values['progress-every'], 'progress-every', { min: 0 }),
  };
}

function num(text: string, flag: string, r: { min: number; max?: number; exclusiveMin?: boolean; integer?: boolean }): number {
  const v = Number(text);
  const bad =
    text.trim() === '' ||
    !Number.isFinite(v) ||
    (r.exclusiveMin ? v <= r.min : v < r.min) ||
    (r.max !== undefined && v > r.max) ||
    (r.integer === true && !Number.isInteger(v));
  if (bad) {
    const range = r.max !== undefined ? `between ${r.min} and ${r.max}` : `${r.exclusiveMin ? '>' : '>='} ${r.min}`;
    throw new UsageError(`--${flag} must be a ${r.integer ? 'whole number' : 'number'} ${range}, got "${text}"`);
  }
  return v;
}
