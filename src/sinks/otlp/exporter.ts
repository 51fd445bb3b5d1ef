import { createRequire } from 'node:module';
import type * as OtlpTransformer from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { Writable } from 'node:stream';
import { formatTime, type HrTime, type LogRecordData } from '../../cadf/index.js';
import { interpret, type PartialSuccess, type SendResult } from './failure.js';
import { LogsProtobufEncoder, type EncodedBatch, type RecordBatch } from './protobuf.js';
import { HttpTransport, type TransportOptions } from './transport.js';

let transformer: typeof OtlpTransformer | undefined;

/**
 * The SDK's serializers, loaded on first use: with its dependencies (the metrics SDK among them)
 * that is about 2.5 MB of heap, and the default http/protobuf path needs it only to read a
 * response body, which Loki leaves empty (docs/performance.md).
 */
function otlpTransformer(): typeof OtlpTransformer {
  return (transformer ??= createRequire(import.meta.url)('@opentelemetry/otlp-transformer') as typeof OtlpTransformer);
}

/** Sends one batch once and says what came of it; never throws, never retries. */
export interface BatchExporter {
  /**
   * Encodes one record for an EncodedBatch, as soon as it is built; throws when the record cannot
   * be encoded (that record's fault alone). Absent: this exporter takes records (RecordBatch).
   */
  readonly encodeRecord?: (record: LogRecordData, observed: HrTime) => Uint8Array;
  /** `signal` aborts the request (the shutdown deadline): the result is then `ABANDONED`. */
  send(batch: RecordBatch | EncodedBatch, timeoutMs: number, signal?: AbortSignal): Promise<SendResult>;
  shutdown(): Promise<void>;
}

export interface Scope {
  readonly name: string;
  readonly version: string;
}

export interface OtlpExporterOptions {
  /** The full logs URL (…/v1/logs); undefined = JSON lines on stdout. */
  readonly url: string | undefined;
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: 'none' | 'gzip';
  readonly tls?: TransportOptions['tls'];
  /** The header that names a batch's tenant (Loki: X-Scope-OrgID). */
  readonly tenantHeader?: string;
}

/** The logs URL: logsEndpoint as is, else endpoint + /v1/logs, else undefined (stdout). */
export function logsUrl(otlp: { readonly endpoint: string; readonly logsEndpoint: string }): string | undefined {
  if (otlp.logsEndpoint !== '') return otlp.logsEndpoint;
  if (otlp.endpoint !== '') return `${otlp.endpoint.replace(/\/+$/, '')}/v1/logs`;
  return undefined;
}

export function createExporter(options: OtlpExporterOptions, resource: Resource, scope: Scope, stdout: Writable): BatchExporter {
  if (options.url === undefined) return new JsonLinesExporter(stdout, resource, scope);
  const transport = (contentType: string): HttpTransport =>
    new HttpTransport({
      url: options.url!,
      headers: options.headers,
      contentType,
      compression: options.compression,
      userAgent: `cadf-exporter/${scope.version}`,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
    });
  const header = options.tenantHeader ?? 'X-Scope-OrgID';
  return options.protocol === 'http/json'
    ? new OtlpHttpExporter(transport('application/json'), new JsonEncoding(resource, scope), header)
    : new OtlpHttpExporter(transport('application/x-protobuf'), new ProtobufEncoding(resource, scope), header);
}

/** How a batch becomes a request body and a response body a partial success. */
interface Encoding {
  readonly encodeRecord?: (record: LogRecordData, observed: HrTime) => Uint8Array;
  encode(batch: RecordBatch | EncodedBatch): Uint8Array;
  partial(body: Buffer): PartialSuccess | undefined;
}

/**
 * http/protobuf, the default, with our record encoder in place of the SDK's serializer, which
 * costs about three times as much CPU per record (docs/performance.md); the response is read
 * with the SDK's deserializer.
 */
class ProtobufEncoding implements Encoding {
  private readonly encoder: LogsProtobufEncoder;

  constructor(resource: Resource, scope: Scope) {
    this.encoder = new LogsProtobufEncoder(resource.attributes as LogRecordData['attributes'], scope);
  }

  readonly encodeRecord = (record: LogRecordData, observed: HrTime): Uint8Array => this.encoder.encodeRecord(record, observed);

  encode(batch: RecordBatch | EncodedBatch): Uint8Array {
    return this.encoder.encode(batch);
  }

  partial(body: Buffer): PartialSuccess | undefined {
    if (body.length === 0) return undefined;
    try {
      const p = otlpTransformer().ProtobufLogsSerializer.deserializeResponse(body).partialSuccess;
      return p === undefined ? undefined : { rejected: Number(p.rejectedLogRecords ?? 0), message: p.errorMessage ?? '' };
    } catch {
      // Some gateways answer a protobuf request with JSON (or HTML): try that before giving up.
      return jsonPartial(body);
    }
  }
}

/** http/json: the SDK's own JSON serializer, fed ReadableLogRecords. */
class JsonEncoding implements Encoding {
  constructor(
    private readonly resource: Resource,
    private readonly scope: Scope,
  ) {}

  encode(batch: RecordBatch | EncodedBatch): Uint8Array {
    if ('encoded' in batch) throw new Error('http/json takes records, not encoded records'); // send() refuses it first
    const body = otlpTransformer().JsonLogsSerializer.serializeRequest(
      batch.records.map((r, i) => toReadable(r, batch.observed[i]!, this.resource, this.scope)),
    );
    if (body === undefined) throw new Error('the JSON serializer returned nothing');
    return body;
  }

  partial(body: Buffer): PartialSuccess | undefined {
    return jsonPartial(body);
  }
}

function jsonPartial(body: Buffer): PartialSuccess | undefined {
  if (body.length === 0) return undefined;
  try {
    const doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const p = (doc.partialSuccess ?? doc.partial_success) as Record<string, unknown> | undefined;
    if (p === undefined || p === null || typeof p !== 'object') return undefined;
    const rejected = Number(p.rejectedLogRecords ?? p.rejected_log_records ?? 0);
    const message = p.errorMessage ?? p.error_message;
    return { rejected: Number.isFinite(rejected) ? rejected : 0, message: typeof message === 'string' ? message : '' };
  } catch {
    return undefined;
  }
}

class OtlpHttpExporter implements BatchExporter {
  readonly encodeRecord?: (record: LogRecordData, observed: HrTime) => Uint8Array;

  constructor(
    private readonly transport: HttpTransport,
    private readonly encoding: Encoding,
    private readonly tenantHeader: string,
  ) {
    if (encoding.encodeRecord !== undefined) this.encodeRecord = encoding.encodeRecord;
  }

  async send(batch: RecordBatch | EncodedBatch, timeoutMs: number, signal?: AbortSignal): Promise<SendResult> {
    // A wiring bug, not a bad record: thrown, so the export loop's caller requeues the batch
    // rather than the encode-refusal path dead-lettering it.
    if ('encoded' in batch && this.encodeRecord === undefined) throw new Error('this exporter takes records, not encoded records');
    let body: Uint8Array;
    try {
      body = this.encoding.encode(batch);
    } catch (err) {
      // Whatever a record does to the encoder is that record's problem: permanent, found by
      // bisection, never an endless retry.
      return { kind: 'refused', reason: 'encode', message: `cannot encode the record: ${(err as Error).message}` };
    }
    const response = await this.transport.post(body, timeoutMs, batch.tenant !== undefined ? { [this.tenantHeader]: batch.tenant } : undefined, signal);
    return interpret(response, (b) => this.encoding.partial(b));
  }

  shutdown(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
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

  send(batch: RecordBatch | EncodedBatch): Promise<SendResult> {
    // A wiring bug, not a bad record: thrown, so the batch is requeued, never dead-lettered.
    if ('encoded' in batch) throw new Error('stdout takes records, not encoded records');
    let text = '';
    try {
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
    } catch (err) {
      return Promise.resolve({ kind: 'refused', reason: 'encode', message: `cannot encode the record: ${(err as Error).message}` });
    }
    return new Promise((resolve) => {
      this.out.write(text, (err) =>
        resolve(err ? { kind: 'retry', reason: 'other', message: `stdout: ${err.message}` } : { kind: 'ok', rejected: 0, message: '' }),
      );
    });
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
