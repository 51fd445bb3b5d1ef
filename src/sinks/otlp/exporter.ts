import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { CompressionAlgorithm, OTLPExporterBase, type OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { Writable } from 'node:stream';
import { formatTime, type HrTime, type LogRecordData } from '../../cadf/index.js';
import type { Config } from '../../config/schema.js';
import { LogsProtobufEncoder, type RecordBatch } from './protobuf.js';

/** Sends one batch; the callback says whether the endpoint accepted it. */
export interface BatchExporter {
  export(batch: RecordBatch, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

export interface Scope {
  readonly name: string;
  readonly version: string;
}

/** The logs URL: logsEndpoint as is, else endpoint + /v1/logs, else undefined (stdout). */
export function logsUrl(otlp: Config['otlp']): string | undefined {
  if (otlp.logsEndpoint !== '') return otlp.logsEndpoint;
  if (otlp.endpoint !== '') return `${otlp.endpoint.replace(/\/+$/, '')}/v1/logs`;
  return undefined;
}

export function createExporter(otlp: Config['otlp'], resource: Resource, scope: Scope, stdout: Writable): BatchExporter {
  const url = logsUrl(otlp);
  if (url === undefined) return new JsonLinesExporter(stdout, resource, scope);
  const options: OTLPExporterNodeConfigBase = {
    url,
    headers: { ...otlp.headers },
    timeoutMillis: otlp.timeoutMs,
    compression: otlp.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
    // Our own batcher bounds concurrency; leave the SDK's limit above it.
    concurrencyLimit: otlp.maxConcurrentExports * 2 + 2,
  };
  return otlp.protocol === 'http/json' ? new SdkJsonExporter(options, resource, scope) : new ProtobufExporter(options, resource, scope);
}

/**
 * http/protobuf, the default: OpenTelemetry's OTLP/HTTP transport (retries of 429/5xx with
 * Retry-After, timeouts, gzip, keep-alive) with our record encoder in place of the SDK's
 * serializer, which costs about three times as much CPU per record (docs/performance.md).
 */
class ProtobufExporter implements BatchExporter {
  private readonly base: OTLPExporterBase<RecordBatch>;

  constructor(options: OTLPExporterNodeConfigBase, resource: Resource, scope: Scope) {
    const encoder = new LogsProtobufEncoder(resource.attributes as LogRecordData['attributes'], scope);
    const serializer = {
      serializeRequest: (batch: RecordBatch) => encoder.encode(batch),
      deserializeResponse: (data: Uint8Array) => ProtobufLogsSerializer.deserializeResponse(data),
    };
    const delegate = createOtlpHttpExportDelegate(
      convertLegacyHttpOptions(options, 'LOGS', 'v1/logs', { 'Content-Type': 'application/x-protobuf' }),
      serializer,
      'otlp_http_log_exporter',
      { name: 'log', countItems: (b: RecordBatch) => b.records.length },
      undefined,
    );
    this.base = new OTLPExporterBase(delegate);
  }

  export(batch: RecordBatch, done: (result: ExportResult) => void): void {
    this.base.export(batch, done);
  }

  shutdown(): Promise<void> {
    return this.base.shutdown();
  }
}

/** http/json: the SDK's own OTLP/HTTP JSON exporter, fed ReadableLogRecords. */
class SdkJsonExporter implements BatchExporter {
  private readonly exporter: JsonExporter;

  constructor(
    options: OTLPExporterNodeConfigBase,
    private readonly resource: Resource,
    private readonly scope: Scope,
  ) {
    this.exporter = new JsonExporter(options);
  }

  export(batch: RecordBatch, done: (result: ExportResult) => void): void {
    this.exporter.export(
      batch.records.map((r, i) => toReadable(r, batch.observed[i]!, this.resource, this.scope)),
      done,
    );
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}

/**
 * No endpoint: each record as one JSON line, so `npm start` with only RabbitMQ running shows what
 * would be sent. Succeeds once the stream took the data, so acks still follow "export".
 */
export class JsonLinesExporter implements BatchExporter {
  constructor(
    private readonly out: Writable,
    private readonly resource: Resource,
    private readonly scope: Scope,
  ) {}

  export(batch: RecordBatch, done: (result: ExportResult) => void): void {
    let text = '';
    batch.records.forEach((r, i) => {
      text += `${JSON.stringify({
        timestamp: formatTime(r.timestamp ?? batch.observed[i]!),
        observedTimestamp: formatTime(batch.observed[i]!),
        eventName: r.eventName,
        severityText: r.severityText,
        severityNumber: r.severityNumber,
        body: r.body,
        attributes: r.attributes,
        resource: this.resource.attributes,
        scope: this.scope,
      })}\n`;
    });
    this.out.write(text, (err) =>
      done(err ? { code: ExportResultCode.FAILED, error: err } : { code: ExportResultCode.SUCCESS }),
    );
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export function toReadable(r: LogRecordData, observed: HrTime, resource: Resource, scope: Scope): ReadableLogRecord {
  return {
    hrTime: r.timestamp ?? observed,
    hrTimeObserved: observed,
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: r.body,
    eventName: r.eventName,
    attributes: r.attributes,
    droppedAttributesCount: 0,
    resource,
    instrumentationScope: scope,
  };
}
