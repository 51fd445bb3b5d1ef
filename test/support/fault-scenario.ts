// The fault scenario of issue 10, shared by test/service/faults.test.ts (in `npm test`) and
// test/soak/delivery.ts (`npm run soak`, 1,000,000 messages): a private RabbitMQ node, real samples
// with fresh ids published with confirms (and published again when the broker goes away), poison
// messages of every decode error code, one record the endpoint refuses, one event dated 1969, and
// during the stream: the broker's stop_app/start_app twice, SIGKILL of the exporter and a restart,
// and a sink that answers 503, 429 with Retry-After, resets connections, is down, and never answers.
// At the end, the accounting: every id exported or dead-lettered, none lost, the queue empty.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { ExporterProcess, waitFor } from './exporter.js';
import { stream, withNewId, type Message } from './messages.js';
import { OtlpReceiver, type Reply } from './otlp-receiver.js';
import type { PrivateRabbit } from './private-rabbit.js';
import { Broker, testNames, type TestNames } from './rabbit.js';
import { TESTDATA } from './testdata.js';

export type SinkMode = 'ok' | '503' | '429' | 'reset' | 'hang';

export interface ScenarioOptions {
  readonly node: PrivateRabbit;
  readonly protocol: 'http/protobuf' | 'http/json';
  /** Good messages published during the faults. */
  readonly messages: number;
  /** Good messages published once everything has recovered (to see full batches again). */
  readonly tail: number;
  readonly batchSize: number;
  /** How long the whole thing may take before it is declared stuck. */
  readonly timeoutMs: number;
  /** Progress lines (the soak prints them; the test keeps them for its failure message). */
  readonly say?: (line: string) => void;
  /** Called every second with the exporter's RSS (MB) and held items, when it is up. */
  readonly sample?: (rssMb: number, held: number) => void;
}

export interface Accounting {
  readonly published: number;
  readonly exportedUnique: number;
  readonly exportedRecords: number;
  /** Good ids never exported (must be empty). */
  readonly lost: string[];
  /** Poison messages (by test file) missing from the dead-letter queue (must be empty). */
  readonly poisonMissing: string[];
  /** Dead letters by error code. */
  readonly deadLetters: Record<string, number>;
  /** Records exported more than once (redeliveries after a crash or a lost channel). */
  readonly duplicates: number;
  readonly queueLeft: number;
  readonly requests: number;
  /** Mean records per accepted request while faults happened, and in the calm tail. */
  readonly recordsPerRequest: number;
  readonly tailRecordsPerRequest: number;
  /** The 1969 event, as exported. */
  readonly epochEvent: { attributes: Record<string, unknown> } | undefined;
  readonly faults: string[];
}

const REFUSED_MARK = 'refused-by-endpoint';

/** Every bad message of test/testdata/errors, plus one over the size limit. */
function poisonMessages(maxBytes: number): Array<{ name: string; code: string; body: Buffer }> {
  const dir = join(TESTDATA, 'errors');
  const out = readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => {
      const expected = JSON.parse(readFileSync(join(dir, f.replace(/\.bin$/, '.expected.json')), 'utf8')) as { error: { code: string } };
      return { name: f, code: expected.error.code, body: readFileSync(join(dir, f)) };
    });
  out.push({ name: 'too-large', code: 'too_large', body: Buffer.alloc(maxBytes + 1, 'x') });
  return out;
}

/** Publishes with confirms and `mandatory`; a chunk that is not confirmed and routed goes again. */
class RetryingPublisher {
  private conn: ChannelModel | undefined;
  private ch: ConfirmChannel | undefined;
  private returned = false;
  republished = 0;

  constructor(
    private readonly url: string,
    private readonly names: TestNames,
  ) {}

  private async channel(): Promise<ConfirmChannel> {
    if (this.ch !== undefined) return this.ch;
    const conn = await amqp.connect(this.url);
    conn.on('error', () => undefined);
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    // Unroutable (the exporter's queue is not bound yet after a broker restart): publish again.
    ch.on('return', () => (this.returned = true));
    const drop = (): void => {
      if (this.conn === conn) {
        this.conn = undefined;
        this.ch = undefined;
      }
    };
    conn.on('close', drop);
    ch.on('close', drop);
    // oslo declares its exchanges (non-durable) before it publishes; a restarted node lost them.
    for (const e of this.names.exchanges) await ch.assertExchange(e, 'topic', { durable: false, autoDelete: false });
    this.conn = conn;
    this.ch = ch;
    return ch;
  }

  /** `gate(i)` resolves when message i may go (a publisher that keeps pace with the exporter). */
  async publish(msgs: ReadonlyArray<{ body: Buffer; keystone: boolean }>, gate: (i: number) => Promise<void> = () => Promise.resolve()): Promise<void> {
    for (let i = 0; i < msgs.length; i += 500) {
      await gate(i);
      const chunk = msgs.slice(i, i + 500);
      for (let attempt = 0; ; attempt++) {
        try {
          const ch = await this.channel();
          this.returned = false;
          for (const m of chunk) {
            const exchange = this.names.exchanges[m.keystone ? 0 : 1]!;
            if (!ch.publish(exchange, 'notifications.info', m.body, { deliveryMode: 2, mandatory: true, contentType: 'application/json' })) {
              await new Promise((r) => ch.once('drain', r));
            }
          }
          await ch.waitForConfirms();
          if (this.returned) throw new Error('returned: not routed yet');
          if (attempt > 0) this.republished += chunk.length;
          break;
        } catch {
          await this.close();
          await sleep(300);
        }
      }
    }
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    this.ch = undefined;
    await conn?.close().catch(() => undefined);
  }
}

export async function runFaultScenario(o: ScenarioOptions): Promise<Accounting> {
  const say = o.say ?? (() => undefined);
  const names = testNames(`faults-${o.protocol === 'http/json' ? 'json' : 'pb'}`);
  const faults: string[] = [];
  const fault = (what: string): void => {
    faults.push(what);
    say(`fault: ${what}`);
  };
  const maxBytes = 65536;
  const good: Message[] = stream(o.messages);
  // One event dated before 1970: the core clamps it to the observed time, keeping the original.
  const epoch = withNewId(readFileSync(join(TESTDATA, 'samples', 'keystone-authenticate-success-internal-password-recheck.json'), 'utf8'), undefined, (m) => {
    (m.payload as Record<string, unknown>).eventTime = '1969-12-31T23:59:59.000000+0000';
  });
  // One record the endpoint refuses (400) whenever it is in a request: found by bisection.
  const refused = withNewId(readFileSync(join(TESTDATA, 'samples', 'keystone-authenticate-success-internal-password-recheck.json'), 'utf8'), `${REFUSED_MARK}-${names.id}`);
  const poison = poisonMessages(maxBytes);
  const all: Array<{ body: Buffer; keystone: boolean }> = [...good];
  // Spread the special messages through the stream.
  const specials = [epoch, refused, ...poison.map((p) => ({ body: p.body, keystone: true }))];
  specials.forEach((m, i) => all.splice(Math.floor(((i + 1) * all.length) / (specials.length + 1)), 0, m));

  const receiver = new OtlpReceiver();
  await receiver.listen();
  const port = Number(new URL(receiver.url).port);
  let mode: SinkMode = 'ok';
  receiver.respond = (req): Reply | Promise<Reply> => {
    if (mode === '503') return { status: 503, body: 'unavailable' };
    if (mode === '429') return { status: 429, headers: { 'Retry-After': '1' }, body: 'slow down' };
    if (mode === 'reset') return { status: 0, reset: true };
    if (mode === 'hang') return new Promise(() => undefined);
    if (req.records.some((r) => r.attributes['log.record.uid'] === refused.id)) return { status: 400, body: 'this record is refused' };
    return { status: 200 };
  };

  const env = ExporterProcess.envFor(names, receiver.url, {
    CADF_AMQP_URL: o.node.url,
    CADF_AMQP_PREFETCH: String(o.batchSize * 4),
    CADF_EXPORT_BATCH_SIZE: String(o.batchSize),
    CADF_MAX_MESSAGE_BYTES: String(maxBytes),
    OTEL_EXPORTER_OTLP_PROTOCOL: o.protocol,
    OTEL_EXPORTER_OTLP_TIMEOUT: '1500',
  });
  let exporter = ExporterProcess.spawn(env);
  const exporters = [exporter];
  const publisher = new RetryingPublisher(o.node.url, names);
  const admin = { broker: undefined as Broker | undefined };
  let sampler: NodeJS.Timeout | undefined;
  try {
    await exporter.waitReady(60_000);
    if (o.sample !== undefined) {
      const sample = o.sample;
      sampler = setInterval(() => {
        const e = exporter;
        void Promise.all([e.metric('process_resident_memory_bytes'), e.metric('cadf_exporter_pipeline_items')])
          .then(([rss, held]) => sample(rss / 1e6, held))
          .catch(() => undefined);
      }, 1000);
    }
    // The ids exported so far, folded in as records arrive (the polls run every 100 ms; rebuilding
    // the set each time would cost O(n) per poll, too much for the 1,000,000-message soak).
    const exported = new Set<unknown>();
    let folded = 0;
    const ids = (): Set<unknown> => {
      for (; folded < receiver.accepted.length; folded++) exported.add(receiver.accepted[folded]!.attributes['log.record.uid']);
      return exported;
    };
    const exportedUnique = (): number => ids().size;
    const progress = async (fraction: number): Promise<void> => {
      const want = Math.floor(o.messages * fraction);
      await waitFor(() => exportedUnique() >= want, o.timeoutMs, () => `no progress to ${want} (at ${exportedUnique()}); faults so far: ${faults.join(', ')}\n${exporter.stderr.slice(-3000)}`);
    };
    // Paced by the exporter (a few thousand ahead), so the stream runs through every fault and
    // the publisher meets the broker's restarts too.
    const published = publisher.publish(all, (i) =>
      waitFor(() => i - exportedUnique() < 3000, o.timeoutMs, () => `publisher stuck at ${i}; exported ${exportedUnique()}`),
    );

    await progress(0.05);
    fault('sink answers 503');
    mode = '503';
    await sleep(1500);
    mode = 'ok';
    await progress(0.15);
    fault('broker stop_app');
    await o.node.stopApp();
    await sleep(2000);
    await o.node.startApp();
    fault('broker start_app');
    await progress(0.25);
    fault('sink answers 429 with Retry-After: 1');
    mode = '429';
    await sleep(2000);
    mode = 'ok';
    await progress(0.35);
    fault('SIGKILL of the exporter, and a restart');
    await exporter.stop('SIGKILL');
    exporter = ExporterProcess.spawn(env);
    exporters.push(exporter);
    await exporter.waitReady(60_000);
    await progress(0.45);
    fault('sink resets connections');
    mode = 'reset';
    await sleep(1500);
    mode = 'ok';
    await progress(0.55);
    fault('sink down for 3 s');
    await receiver.close();
    await sleep(3000);
    await receiver.listen(port);
    await progress(0.65);
    fault('broker stop_app (again)');
    await o.node.stopApp();
    await sleep(2000);
    await o.node.startApp();
    fault('broker start_app (again)');
    await progress(0.75);
    fault('sink never answers for 4 s');
    mode = 'hang';
    await sleep(4000);
    mode = 'ok';
    await published;
    say('all published');

    // Settled: every good id out, the queue empty, nothing in flight.
    const broker = await Broker.connect(o.node.url);
    admin.broker = broker;
    const goodIds = [...good.map((m) => m.id), epoch.id];
    const expected = new Set(goodIds);
    await waitFor(
      async () => {
        const have = ids();
        if (goodIds.some((id) => !have.has(id))) return false;
        return (await broker.messageCount(names.queue)) === 0 && (await exporter.metric('cadf_exporter_inflight_messages')) === 0;
      },
      o.timeoutMs,
      () => `not settled: ${goodIds.filter((id) => !ids().has(id)).length} good ids missing; faults: ${faults.join(', ')}\n${exporter.stderr.slice(-3000)}`,
    );
    const faultRequests = receiver.requests.length;
    const faultAccepted = receiver.accepted.length;
    const faultAcceptedRequests = receiver.requests.filter((r) => r.records.length > 0).length;

    // The calm tail: after recovery, requests carry full batches again.
    const tail = stream(o.tail);
    const tailStart = receiver.requests.length;
    await publisher.publish(tail);
    await waitFor(
      () => {
        const have = ids();
        return tail.every((m) => have.has(m.id));
      },
      o.timeoutMs,
      () => 'the tail was not exported',
    );
    const tailRequests = receiver.requests.slice(tailStart);
    const tailRecords = tailRequests.reduce((n, r) => n + r.records.length, 0);

    // The dead letters: every poison message, with its code; the refused record too.
    await waitFor(async () => (await broker.messageCount(names.deadLetterQueue)) >= poison.length + 1, 30_000, () => 'dead letters missing');
    const dead = await broker.drain(names.deadLetterQueue);
    const deadLetters: Record<string, number> = {};
    const deadBodies = new Map<string, string>();
    for (const d of dead) {
      const code = String(d.properties.headers?.['x-cadf-error-code']);
      deadLetters[code] = (deadLetters[code] ?? 0) + 1;
      deadBodies.set(d.content.toString('latin1'), code);
    }
    const poisonMissing = poison.filter((p) => deadBodies.get(p.body.toString('latin1')) !== p.code).map((p) => `${p.name} (${p.code})`);
    if (deadBodies.get(refused.body.toString('latin1')) !== 'otlp_rejected') poisonMissing.push('the record the endpoint refuses (otlp_rejected)');

    const have = ids();
    const epochRecord = receiver.accepted.find((r) => r.attributes['log.record.uid'] === epoch.id);
    return {
      published: all.length + tail.length,
      exportedUnique: have.size,
      exportedRecords: receiver.accepted.length,
      lost: [...expected].filter((id) => !have.has(id)),
      poisonMissing,
      deadLetters,
      duplicates: receiver.accepted.length - have.size,
      queueLeft: await broker.messageCount(names.queue),
      requests: receiver.requests.length,
      recordsPerRequest: faultAcceptedRequests > 0 ? faultAccepted / faultAcceptedRequests : 0,
      tailRecordsPerRequest: tailRequests.length > 0 ? tailRecords / tailRequests.length : 0,
      epochEvent: epochRecord !== undefined ? { attributes: epochRecord.attributes } : undefined,
      faults: [...faults, `${faultRequests} requests during the faults, ${publisher.republished} messages published again`],
    };
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    for (const e of exporters) await e.stop('SIGKILL');
    await publisher.close();
    await admin.broker?.cleanup(names).catch(() => undefined);
    await receiver.close();
  }
}
