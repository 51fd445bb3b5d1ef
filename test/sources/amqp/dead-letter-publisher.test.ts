// The dead-letter publisher against the machine's real RabbitMQ, on queues of its own: confirmed
// and routed, a deleted queue declared again, a queue that refuses publishes reported as a failure.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterPublisher } from '../../../src/sources/amqp/dead-letter-publisher.js';
import { brokerTargets } from '../../../src/sources/amqp/connect-options.js';
import { AMQP_URL, Broker, testNames } from '../../support/rabbit.js';

const run = promisify(execFile);
const log = pino({ level: 'silent' });
const reason = { code: 'invalid_json', message: 'body is not valid JSON' };

function publisher(queue: string, confirmTimeoutMs = 5000): DeadLetterPublisher {
  const targets = brokerTargets({ url: [AMQP_URL], heartbeatSeconds: 30, tls: { ca: '', cert: '', key: '', verify: true } });
  return new DeadLetterPublisher({ targets, queue, queueArguments: {}, confirmTimeoutMs }, log);
}

describe('DeadLetterPublisher', () => {
  const names = testNames('dlp');
  let broker: Broker;
  beforeAll(async () => {
    broker = await Broker.connect();
  });
  afterAll(async () => {
    await run('rabbitmqctl', ['clear_policy', `${names.id}-full`]).catch(() => undefined);
    await broker.cleanup(names);
  });

  it('publishes with the reason in headers, confirmed and routed', async () => {
    await broker.ch.assertQueue(names.deadLetterQueue, { durable: true });
    const p = publisher(names.deadLetterQueue);
    const r = await p.publish({ body: Buffer.from('{oops'), reason, exchange: 'keystone', routingKey: 'notifications.info' });
    await p.close();
    expect(r).toEqual({ ok: true });
    const [m] = await broker.drain(names.deadLetterQueue);
    expect(m!.content.toString()).toBe('{oops');
    expect(m!.properties.headers?.['x-cadf-error-code']).toBe('invalid_json');
    expect(m!.properties.headers?.['x-cadf-exchange']).toBe('keystone');
    expect(m!.properties.deliveryMode).toBe(2);
  });

  it('a deleted queue is declared again: the returned message is published once more and lands', async () => {
    await broker.ch.assertQueue(names.deadLetterQueue, { durable: true });
    const p = publisher(names.deadLetterQueue);
    expect(await p.publish({ body: Buffer.from('a'), reason, exchange: '', routingKey: '' })).toEqual({ ok: true });
    await broker.ch.deleteQueue(names.deadLetterQueue);
    expect(await p.publish({ body: Buffer.from('b'), reason, exchange: '', routingKey: '' })).toEqual({ ok: true });
    await p.close();
    const got = await broker.drain(names.deadLetterQueue);
    expect(got.map((m) => m.content.toString())).toEqual(['b']);
  });

  it('a queue that refuses publishes (max-length 0, reject-publish) is a failure, never a silent success', async () => {
    await broker.ch.assertQueue(names.deadLetterQueue, { durable: true });
    await run('rabbitmqctl', ['set_policy', `${names.id}-full`, `^${names.deadLetterQueue}$`, '{"max-length":0,"overflow":"reject-publish"}', '--apply-to', 'queues']);
    // Policies apply asynchronously: wait until the queue carries it.
    for (let i = 0; i < 50; i++) {
      const { stdout } = await run('rabbitmqctl', ['list_queues', 'name', 'policy', '--quiet', '--no-table-headers']);
      if (stdout.split('\n').some((l) => l.startsWith(names.deadLetterQueue) && l.includes(`${names.id}-full`))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const p = publisher(names.deadLetterQueue);
    const r = await p.publish({ body: Buffer.from('c'), reason, exchange: '', routingKey: '' });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.why).toMatch(/refused/);
    await run('rabbitmqctl', ['clear_policy', `${names.id}-full`]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await p.publish({ body: Buffer.from('d'), reason, exchange: '', routingKey: '' })).toEqual({ ok: true });
    await p.close();
    expect((await broker.drain(names.deadLetterQueue)).map((m) => m.content.toString())).toEqual(['d']);
  });

  it('an unreachable broker is a failure with the reason, not a hang', async () => {
    const targets = brokerTargets({ url: ['amqp://guest:guest@127.0.0.1:1/'], heartbeatSeconds: 30, tls: { ca: '', cert: '', key: '', verify: true } });
    const p = new DeadLetterPublisher({ targets, queue: 'x', queueArguments: {}, confirmTimeoutMs: 2000 }, log);
    const r = await p.publish({ body: Buffer.from('e'), reason, exchange: '', routingKey: '' });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.why).toMatch(/ECONNREFUSED|cannot open/);
    await p.close();
  });
});
