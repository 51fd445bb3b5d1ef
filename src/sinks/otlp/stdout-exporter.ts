import type { Writable } from 'node:stream';
import { ExportResultCode, hrTimeToTimeStamp, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';

/**
 * Writes each record as one JSON line, so `npm start` with only RabbitMQ running shows what the
 * exporter would send. Succeeds once the stream took the data, so acks still follow "export".
 */
export class JsonLinesExporter implements LogRecordExporter {
  constructor(private readonly out: Writable) {}

  export(logs: ReadableLogRecord[], done: (r: ExportResult) => void): void {
    let text = '';
    for (const r of logs) {
      text += `${JSON.stringify({
        timestamp: hrTimeToTimeStamp(r.hrTime),
        observedTimestamp: hrTimeToTimeStamp(r.hrTimeObserved),
        eventName: r.eventName,
        severityText: r.severityText,
        severityNumber: r.severityNumber,
        body: r.body,
        attributes: r.attributes,
        resource: r.resource.attributes,
      })}\n`;
    }
    this.out.write(text, (err) =>
      done(err ? { code: ExportResultCode.FAILED, error: err } : { code: ExportResultCode.SUCCESS }),
    );
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
