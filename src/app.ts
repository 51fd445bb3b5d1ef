import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { redactConfig } from './config/redact.js';
import type { Config } from './config/schema.js';
import type { Logger } from './logger.js';
import { lockDataDir } from './enrich/data-dir-lock.js';
import { NameEnricher } from './enrich/enricher.js';
import { KeystoneClient } from './enrich/keystone-client.js';
import { NameMemory } from './enrich/name-memory.js';
import { NameStore } from './enrich/name-store.js';
import { Pipeline } from './pipeline/pipeline.js';
import { createHttpServer, listen } from './server/http.js';
import { EventMetrics } from './sinks/metrics/event-metrics.js';
import { Health } from './sinks/metrics/health.js';
import { createExporter, logsUrl } from './sinks/otlp/exporter.js';
import { OtlpSink } from './sinks/otlp/sink.js';
import { AmqpSource } from './sources/amqp/source.js';

export const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface App {
  readonly metricsAddress: AddressInfo;
  /** Idempotent: stop consuming, finish exports within the deadline, close. */
  shutdown(reason: string): Promise<void>;
}

/** Wires source -> pipeline -> sinks from the validated config, and starts consuming. */
export async function startApp(config: Config, log: Logger): Promise<App> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const dataDir = config.enrich.dataDir;
  const unlock = dataDir !== '' ? lockDataDir(dataDir) : () => undefined;
  const memory = new NameMemory(dataDir !== '' ? new NameStore(dataDir) : undefined, { maxEntries: config.enrich.maxNames, flushIntervalMs: 1000 }, log);
  memory.open();
  const health = new Health(registry, VERSION, () => source.inflight, (kind) => memory.sizeOf(kind));
  const keystone = config.keystone.url !== '' ? new KeystoneClient(config.keystone, log) : undefined;
  const enricher = new NameEnricher(
    memory,
    keystone,
    { cache: (hit) => health.nameAsked(hit), lookup: (r) => health.nameLookedUp(r) },
    config.enrich.lookupWaitMs,
  );
  const events = new EventMetrics(registry);

  const url = logsUrl(config.otlp);
  const resource = resourceFromAttributes({ ...config.otlp.resourceAttributes, 'service.name': config.otlp.serviceName });
  const sink = new OtlpSink(
    createExporter(config.otlp, resource, { name: 'cadf-exporter', version: VERSION }, process.stdout),
    {
      exported: (n, s) => health.exportSucceeded(n, s, Date.now() / 1000),
      failed: (f, n, s, retryInMs) => {
        health.exportFailed(f.reason, s);
        log.warn({ reason: f.reason, records: n, retryInMs }, `export failed: ${f.message}`);
      },
    },
    { retryMaxDelayMs: config.otlp.retryMaxDelayMs },
  );
  const source = new AmqpSource(config.amqp, log, {
    connected: (up) => health.connected(up),
    reconnecting: () => health.reconnecting(),
  });
  const pipeline = new Pipeline(source, enricher, sink, events, health, log, {
    limits: { maxBytes: config.decode.maxMessageBytes },
    batchSize: config.otlp.batchSize,
    prefetch: config.amqp.prefetch,
    batchDelayMs: config.otlp.batchDelayMs,
    maxConcurrentExports: config.otlp.maxConcurrentExports,
    dedupSize: config.dedup.size,
  });

  let stopping = false;
  const server = createHttpServer(registry, {
    healthy: () => !stopping,
    ready: () => !stopping && source.ready,
  });
  const metricsAddress = await listen(server, config.metrics.host, config.metrics.port);
  log.info({ config: redactConfig(config) }, 'configuration');
  log.info(
    { metrics: `http://${metricsAddress.address}:${metricsAddress.port}/metrics`, otlp: url ?? 'stdout (no endpoint configured)', protocol: config.otlp.protocol },
    `cadf-exporter ${VERSION} started`,
  );
  source.start(pipeline.onDelivery);

  let done: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> =>
    (done ??= (async () => {
      stopping = true;
      log.info({ reason }, 'shutting down: no new messages; finishing exports in flight');
      await source.stopConsuming();
      const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), config.shutdownTimeoutMs).unref());
      if ((await Promise.race([pipeline.drained(), deadline])) === 'timeout') {
        log.warn({ timeoutMs: config.shutdownTimeoutMs }, 'exports still failing at the deadline; their messages stay queued');
        sink.abort();
        await pipeline.drained();
      }
      await source.close();
      await sink.shutdown().catch(() => undefined);
      enricher.close();
      unlock();
      await new Promise<void>((r) => server.close(() => r()));
      log.info('stopped');
    })());
  return { metricsAddress, shutdown };
}
