import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { Config } from '../../config/schema.js';
import { JsonLinesExporter } from './stdout-exporter.js';

/** The logs URL: logsEndpoint as is, else endpoint + /v1/logs, else undefined (stdout). */
export function logsUrl(otlp: Config['otlp']): string | undefined {
  if (otlp.logsEndpoint !== '') return otlp.logsEndpoint;
  if (otlp.endpoint !== '') return `${otlp.endpoint.replace(/\/+$/, '')}/v1/logs`;
  return undefined;
}

export function createExporter(otlp: Config['otlp']): LogRecordExporter {
  const url = logsUrl(otlp);
  if (url === undefined) return new JsonLinesExporter(process.stdout);
  const options = {
    url,
    headers: { ...otlp.headers },
    timeoutMillis: otlp.timeoutMs,
    compression: otlp.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
    // Our own batcher bounds concurrency; leave the SDK's limit above it.
    concurrencyLimit: otlp.maxConcurrentExports * 2 + 2,
  };
  return otlp.protocol === 'http/json' ? new JsonExporter(options) : new ProtoExporter(options);
}
