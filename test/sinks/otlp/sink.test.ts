import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import type { BatchExporter } from '../../../src/sinks/otlp/exporter.js';
import type { RecordBatch } from '../../../src/sinks/otlp/protobuf.js';
import { describe, expect, it } from 'vitest';
import { OtlpSink, type SinkObserver } from '../../../src/sinks/otlp/sink.js';
import { classifyFailure, type ExportFailure } from '../../../src/sinks/otlp/failure.js';

/** An exporter whose answer per call the test decides. */
class ScriptedExporter implements BatchExporter {
  readonly calls: string[][] = [];
  constructor(private readonly answer: (bodies: string[], call: number) => ExportResult) {}
  export(batch: RecordBatch, done: (r: ExportResult) => void): void {
    const bodies = batch.records.map((l) => l.body);
    this.calls.push(bodies);
    const r = this.answer(bodies, this.calls.length);
    setImmediate(() => done(r));
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const ok: ExportResult = { code: ExportResultCode.SUCCESS };
const fail = (error: Error): ExportResult => ({ code: ExportResultCode.FAILED, error });

function setup(answer: (bodies: string[], call: number) => ExportResult) {
  const exporter = new ScriptedExporter(answer);
  const failures: ExportFailure[] = [];
  let exported = 0;
  const observer: SinkObserver = {
    exported: (n) => (exported += n),
    failed: (f) => failures.push(f),
  };
  const sink = new OtlpSink(exporter, observer, { retryInitialDelayMs: 5, retryMaxDelayMs: 20 });
  const records = (n: number): RecordBatch => ({
    records: Array.from({ length: n }, (_, i) => ({ eventName: 'e', timestamp: [1, 0], severityNumber: 9, severityText: 'INFO', body: `r${i}`, attributes: {} })),
    observed: Array.from({ length: n }, () => [2, 0]),
  });
  return { exporter, sink, records, failures, exported: () => exported };
}

describe('OtlpSink', () => {
  it('delivers a batch in one request', async () => {
    const s = setup(() => ok);
    const r = await s.sink.write(s.records(5));
    expect(r).toEqual({ delivered: [0, 1, 2, 3, 4], rejected: [], aborted: false });
    expect(s.exporter.calls).toHaveLength(1);
    expect(s.exported()).toBe(5);
  });

  it('retries transient failures until they pass', async () => {
    const s = setup((_, call) => (call <= 3 ? fail(new OTLPExporterError('Service Unavailable', 503)) : ok));
    const r = await s.sink.write(s.records(3));
    expect(r.delivered).toEqual([0, 1, 2]);
    expect(s.exporter.calls).toHaveLength(4);
    expect(s.failures.map((f) => f.reason)).toEqual(['status_5xx', 'status_5xx', 'status_5xx']);
  });

  it('keeps retrying a 401 (a configuration problem) rather than dropping anything', async () => {
    const s = setup((_, call) => (call <= 2 ? fail(new OTLPExporterError('Unauthorized', 401)) : ok));
    expect((await s.sink.write(s.records(2))).delivered).toEqual([0, 1]);
    expect(s.failures.map((f) => f.rejectsContent)).toEqual([false, false]);
  });

  it('splits a batch the endpoint refuses until it finds the records it refuses', async () => {
    const s = setup((bodies) => (bodies.includes('r5') || bodies.includes('r11') ? fail(new OTLPExporterError('Bad Request', 400, 'bad line')) : ok));
    const r = await s.sink.write(s.records(16));
    expect(r.rejected.map((x) => x.index)).toEqual([5, 11]);
    expect(r.rejected[0]!.reason).toBe('HTTP 400 Bad Request: bad line');
    expect(r.delivered.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15]);
    expect(s.exported()).toBe(14);
  });

  it('abort ends a failing write with nothing delivered', async () => {
    const s = setup(() => fail(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })));
    const pending = s.sink.write(s.records(2));
    setTimeout(() => s.sink.abort(), 50);
    expect(await pending).toEqual({ delivered: [], rejected: [], aborted: true });
  });

});

describe('classifyFailure', () => {
  it.each([
    [new OTLPExporterError('Bad Request', 400), 'status_400', true],
    [new OTLPExporterError('Payload Too Large', 413), 'status_413', true],
    [new OTLPExporterError('Too Many Requests', 429), 'status_429', false],
    [new OTLPExporterError('Bad Gateway', 502), 'status_5xx', false],
    [new OTLPExporterError('Teapot', 418), 'status_4xx', false],
    [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'network', false],
    [new Error('Request timed out'), 'timeout', false],
    [new OTLPExporterError('Export failed with retryable status'), 'retryable', false],
    [new Error('something else'), 'other', false],
  ] as const)('%s', (error, reason, rejects) => {
    const f = classifyFailure(error);
    expect(f.reason).toBe(reason);
    expect(f.rejectsContent).toBe(rejects);
  });
});
