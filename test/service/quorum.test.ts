// kolla-ansible deployments use quorum queues: the exporter's own queue can be one.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { stream } from '../support/messages.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { Broker, testNames } from '../support/rabbit.js';

const run = promisify(execFile);

describe('quorum queue', () => {
  it('declares its queues as quorum queues and consumes from them', async () => {
    const names = testNames('quorum');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect();
    const exporter = ExporterProcess.spawn(ExporterProcess.envFor(names, receiver.url, { CADF_AMQP_QUEUE_TYPE: 'quorum' }));
    try {
      await exporter.waitReady();
      const { stdout } = await run('rabbitmqctl', ['list_queues', '-q', 'name', 'type'], { timeout: 60_000 });
      const types = new Map(stdout.trim().split('\n').map((l) => l.trim().split(/\s+/) as [string, string]));
      expect(types.get(names.queue)).toBe('quorum');
      expect(types.get(names.deadLetterQueue)).toBe('quorum');
      for (const e of names.exchanges) await broker.declareLikeOslo(e);
      const msgs = stream(200);
      await broker.publish(names.exchanges[0]!, msgs.filter((m) => m.keystone).map((m) => m.body));
      await broker.publish(names.exchanges[1]!, msgs.filter((m) => !m.keystone).map((m) => m.body));
      await waitFor(() => receiver.accepted.length >= msgs.length, 20_000, () => exporter.stderr.slice(-2000));
      await waitFor(async () => (await broker.messageCount(names.queue)) === 0, 10_000, () => 'queue not drained');
    } finally {
      await exporter.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 60_000);
});
