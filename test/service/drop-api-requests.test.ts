// CADF_DROP_API_REQUESTS: of keystonemiddleware's request/response pair only the response is
// exported; the request is acked unexported and counted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { AMQP_URL, Broker, testNames } from '../support/rabbit.js';
import { SAMPLES } from '../support/testdata.js';

const PAIRS = ['audit-compute-server-create-ok', 'audit-image-delete-403', 'audit-network-create-ok'];

describe('drop API requests', () => {
  it('exports each call once, as its response, and counts the requests dropped', async () => {
    const names = testNames('dropreq');
    const receiver = new OtlpReceiver();
    await receiver.listen();
    const broker = await Broker.connect(AMQP_URL);
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    const exporter = ExporterProcess.spawn(ExporterProcess.envFor(names, receiver.url, { CADF_DROP_API_REQUESTS: 'true' }));
    try {
      await exporter.waitReady(30_000);
      const bodies = PAIRS.flatMap((p) => [`${p}-request.json`, `${p}-response.json`]).map((f) => readFileSync(join(SAMPLES, f)));
      await broker.publish(names.exchanges[1]!, bodies);
      await waitFor(async () => (await exporter.metric('cadf_exporter_messages_received_total', { result: 'api_request_dropped' })) === PAIRS.length, 30_000, () => exporter.stderr.slice(-2000));
      await waitFor(() => receiver.accepted.length >= PAIRS.length, 30_000, () => `${receiver.accepted.length} exported`);
      expect(receiver.accepted.map((r) => r.eventName)).toEqual(PAIRS.map(() => 'audit.http.response'));
      expect(await exporter.metric('cadf_exporter_messages_received_total', { result: 'decoded' })).toBe(PAIRS.length);
      await waitFor(async () => (await broker.messageCount(names.queue)) === 0, 10_000, () => 'requests not acked');
    } finally {
      await exporter.stop();
      await broker.cleanup(names);
      await receiver.close();
    }
  }, 90_000);
});
