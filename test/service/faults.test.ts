// Issue 10's fault test: whatever the broker, the endpoint, the exporter process or a message
// does, every message ends exported or dead-lettered, none is lost, the queue ends empty, and after
// recovery requests carry full batches again. Both OTLP/HTTP encodings. The longer version is
// `npm run soak` (test/soak/delivery.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFaultScenario } from '../support/fault-scenario.js';
import { PrivateRabbit } from '../support/private-rabbit.js';

describe('delivery under faults', () => {
  // Its own node: the scenario stops and starts the broker's application twice.
  let node: PrivateRabbit;
  beforeAll(async () => {
    node = await PrivateRabbit.start('faults');
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: every message exported or dead-lettered, none lost, queue empty, full batches after recovery`, async () => {
      const lines: string[] = [];
      const batchSize = 100;
      const a = await runFaultScenario({ node, protocol, messages: 20_000, tail: 3000, batchSize, timeoutMs: 120_000, say: (l) => lines.push(l) });
      const report = JSON.stringify({ ...a, lost: a.lost.length, epochEvent: undefined }, null, 1);
      expect(a.lost, report).toEqual([]);
      expect(a.poisonMissing, report).toEqual([]);
      expect(a.queueLeft).toBe(0);
      expect(a.faults.length).toBeGreaterThanOrEqual(9);
      // Every decode error code of test/testdata/errors reached the dead-letter queue.
      for (const code of ['too_large', 'invalid_utf8', 'invalid_json', 'not_notification', 'bad_envelope', 'unsupported_envelope_version', 'bad_payload', 'otlp_rejected']) {
        expect(a.deadLetters[code] ?? 0, `${code}\n${report}`).toBeGreaterThanOrEqual(1);
      }
      // The 1969 event went out at its observed time, its own time kept as an attribute.
      expect(a.epochEvent?.attributes['cadf.event_time.original']).toMatch(/^1969-12-31T23:59:59\.000000(Z|\+0000)$/);
      // Redelivered copies only: a crash and two broker restarts redeliver at most what was in
      // flight each time (prefetch = 4 batches), plus what the publisher sent again.
      expect(a.duplicates, report).toBeLessThanOrEqual(6 * 4 * batchSize + 2000);
      // No one-record requests after an outage: while the faults happened, and in the calm tail.
      expect(a.recordsPerRequest, report).toBeGreaterThan(batchSize * 0.3);
      expect(a.tailRecordsPerRequest, report).toBeGreaterThan(batchSize * 0.6);
      console.log(`${protocol}: ${report}`);
    }, 300_000);
  }
});
