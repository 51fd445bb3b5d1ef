import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { rootCertificates } from 'node:tls';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { redactConfig, redactUrl } from './config/redact.js';
import type { Config } from './config/schema.js';
import { routeOtelDiagnostics, type Logger } from './logger.js';
import { lockDataDir } from './enrich/data-dir-lock.js';
import { NameEnricher } from './enrich/enricher.js';
import { KeystoneClient } from './enrich/keystone-client.js';
import { NameMemory } from './enrich/name-memory.js';
import { NameStore } from './enrich/name-store.js';
import { startSharedNames, type SharedNaming } from './enrich/shared-naming.js';
import { RecentIds } from './pipeline/dedup.js';
import { ExportLoop } from './pipeline/export-loop.js';
import { Pipeline } from './pipeline/pipeline.js';
import { ResultRouter } from './pipeline/router.js';
import { createMetricsServer, listen } from './server/http.js';
import { loadWebConfig, type WebConfig } from './server/web-config.js';
import { createNotifier } from './sinks/alertmanager/notifier.js';
import { EventMetrics } from './sinks/metrics/event-metrics.js';
import { Health } from './telemetry/health.js';
import { createExporter, logsUrl, type OtlpExporterOptions } from './sinks/otlp/exporter.js';
import { brokerTargets } from './sources/amqp/connect-options.js';
import { AmqpSource, type AmqpSourceOptions } from './sources/amqp/source.js';
import { FileMetrics } from './sources/file/metrics.js';
import { FileSource } from './sources/file/source.js';
import type { Source } from './sources/types.js';

export const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface App {
  readonly metricsAddress: AddressInfo;
  /** Idempotent: stop consuming, finish exports within the deadline, close. */
  shutdown(reason: string): Promise<void>;
}

/**
 * One AMQP source per broker: the top-level amqp.* settings alone, or one per amqp.brokers entry
 * with what it leaves out taken from them.
 */
export function amqpSourceOptions(a: Config['amqp']): AmqpSourceOptions[] {
  const common = {
    reconnect: { initialDelayMs: a.reconnectInitialDelayMs, maxDelayMs: a.reconnectMaxDelayMs },
    deadLetterConfirmTimeoutMs: a.deadLetterConfirmTimeoutMs,
    deadLetterRetryMaxDelayMs: a.deadLetterRetryMaxDelayMs,
  };
  if (a.brokers.length === 0) {
    return [{ name: 'amqp', targets: brokerTargets(a), topology: a, prefetch: a.prefetch, ...common }];
  }
  return a.brokers.map((b) => ({
    name: `amqp:${b.name}`,
    targets: brokerTargets({ url: [...b.url], heartbeatSeconds: a.heartbeatSeconds, tls: { ...a.tls, ...b.tls } }),
    topology: {
      exchanges: b.exchanges ?? a.exchanges,
      routingKeys: b.routingKeys ?? a.routingKeys,
      queue: b.queue ?? a.queue,
      deadLetterQueue: b.deadLetterQueue ?? a.deadLetterQueue,
      queueType: b.queueType ?? a.queueType,
      exchangeDurable: b.exchangeDurable ?? a.exchangeDurable,
    },
    prefetch: b.prefetch ?? a.prefetch,
    ...common,
  }));
}

/** TLS of an https:// OTLP endpoint: the files' contents (checked to exist by the config loader). */
function otlpTls(o: Config['otlp']): OtlpExporterOptions['tls'] {
  if (o.certificate === '' && o.clientCertificate === '') return undefined;
  return {
    // Private CA in addition to the system roots, as the OTel SDKs do with OTEL_EXPORTER_OTLP_CERTIFICATE.
    ...(o.certificate !== '' ? { ca: [...rootCertificates.map((c) => Buffer.from(c)), readFileSync(o.certificate)] } : {}),
    ...(o.clientCertificate !== '' ? { cert: readFileSync(o.clientCertificate), key: readFileSync(o.clientKey) } : {}),
  };
}

/** Wires sources -> pipeline -> sinks from the validated config, and starts consuming. */
export async function startApp(config: Config, log: Logger): Promise<App> {
  routeOtelDiagnostics(log);
  // Checked before anything opens or listens: a typo in the web config must not leave /metrics open.
  const webConfigFile = config.metrics.webConfigFile;
  const web: WebConfig | undefined = webConfigFile !== '' ? loadWebConfig(webConfigFile) : undefined;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const dataDir = config.enrich.dataDir;
  const unlock = dataDir !== '' ? lockDataDir(dataDir) : () => undefined;
  const memory = new NameMemory(dataDir !== '' ? new NameStore(dataDir) : undefined, { maxEntries: config.enrich.maxNames, flushIntervalMs: 1000 }, log);
  memory.open();
  const sources: Source[] = [];
  const held = { pipeline: undefined as Pipeline | undefined };
  const health = new Health(registry, VERSION, {
    inflight: () => sources.reduce((n, s) => n + s.inflight, 0),
    oldestUnsettledSeconds: () => sources.reduce((n, s) => Math.max(n, s.oldestUnsettledSeconds()), 0),
    pipelineItems: () => held.pipeline?.heldItems ?? 0,
    names: (kind) => memory.sizeOf(kind),
    nameStorePending: () => naming.shared?.pendingCount ?? 0,
    notificationsPending: () => notifier?.pending ?? 0,
  });
  memory.onWriteFailure(() => health.nameMemoryWriteFailed());
  const keystone = config.keystone.url !== '' ? new KeystoneClient(config.keystone, log) : undefined;
  // Shared name store and Keystone listing (issue 14; docs/names.md).
  const naming: SharedNaming = await startSharedNames(config, memory, keystone, health, log);
  const enricher = new NameEnricher(
    memory,
    keystone,
    { cache: (hit) => health.nameAsked(hit), lookup: (r) => health.nameLookedUp(r), unnamedDeletion: (k) => health.deletionUnnamed(k) },
    config.enrich.lookupWaitMs,
    naming.shared,
  );
  const events = new EventMetrics(registry);

  const otlp = config.otlp;
  const url = logsUrl(otlp);
  const resource = resourceFromAttributes({ ...otlp.resourceAttributes, 'service.name': otlp.serviceName });
  const exporter = createExporter(
    { url, protocol: otlp.protocol, headers: otlp.headers, compression: otlp.compression, tenantHeader: otlp.tenantHeader, tls: otlpTls(otlp) },
    resource,
    { name: 'cadf-exporter', version: VERSION },
    process.stdout,
  );
  const recent = new RecentIds(config.dedup.size);
  const router = new ResultRouter(
    recent,
    events,
    { eventLag: (s) => health.eventLag(s), requeued: (why, n) => health.requeued(why, n) },
    log,
  );
  // Notifications (issue 16, docs/notifications.md): fed each record once it is delivered, off the
  // ack path (matching is synchronous and cheap; posting happens on the notifier's own queue).
  const notifier = createNotifier(config.notify, otlp.resourceAttributes['cloud.region'] ?? '', {
    sent: (n) => health.notificationsSent(n),
    failed: (n, reason, message) => {
      health.notificationsFailed(n, reason);
      log.warn({ alerts: n, reason }, `notifications not posted to Alertmanager: ${message}`);
    },
    dropped: (n, reason) => health.notificationsDropped(n, reason),
  });
  if (notifier !== undefined) {
    router.onDelivered((record) => notifier.notify(record));
    log.info({ rules: notifier.ruleCount, alertmanager: config.notify.alertmanagerUrl.map(redactUrl) }, 'notifications to Alertmanager on');
  }
  const loop = new ExportLoop(
    exporter,
    enricher,
    router,
    {
      exported: (n, s) => health.exportSucceeded(n, s, Date.now() / 1000),
      failed: (reason, n, s, retryInMs, message) => {
        health.exportFailed(reason, s);
        log.warn({ reason, records: n, retryInMs }, `export failed: ${message}`);
      },
      partiallyRejected: (n, message) => {
        health.recordsRejected(n);
        log.warn({ rejected: n }, `the OTLP endpoint dropped records it accepted (partial success): ${message || 'no message'}`);
      },
      refusingAll: (on) => {
        health.refusingAll(on);
        if (on) log.error('the OTLP endpoint refuses every record: holding them (no dead letters) and probing with backoff');
        else log.info('the OTLP endpoint accepts records again');
      },
      dropped: (n) => health.channelLost(n),
    },
    {
      timeoutMs: otlp.timeoutMs,
      retryInitialDelayMs: 500,
      retryMaxDelayMs: otlp.retryMaxDelayMs,
      systemicRefusals: otlp.refusalsBeforeOutage,
    },
  );
  const p = new Pipeline(loop, router, recent, { received: (r) => health.messageReceived(r) }, log, {
    limits: { maxBytes: config.decode.maxMessageBytes },
    batchSize: otlp.batchSize,
    batchMaxBytes: otlp.batchMaxBytes,
    batchDelayMs: otlp.batchDelayMs,
    maxConcurrentExports: otlp.maxConcurrentExports,
    tenants: { by: otlp.tenantBy, fallback: otlp.tenantFallback },
    dropApiRequests: config.dedup.dropApiRequests,
  });
  held.pipeline = p;

  // CADF_SOURCES=file: no AmqpSource is built, so no broker connection is ever attempted.
  const useAmqp = config.sources !== 'file';
  for (const options of useAmqp ? amqpSourceOptions(config.amqp) : []) {
    const name = options.name;
    health.sourceAdded(name);
    sources.push(
      new AmqpSource(options, log, {
        connected: (up) => {
          health.connected(name, up);
          // A closed channel's messages come again from the broker: drop them now, so what
          // is held stays within the live channels' prefetch.
          if (!up) p.prune();
        },
        reconnecting: () => health.reconnecting(name),
        deadLettered: (code) => health.deadLettered(code),
        deadLetterFailed: (code) => health.deadLetterFailed(code),
        requeued: () => undefined,
      }),
    );
  }

  if (config.sources !== 'amqp') {
    const name = 'file';
    const metrics: { m?: FileMetrics } = {};
    const source = new FileSource(
      {
        name,
        paths: config.file.paths,
        startAt: config.file.startAt,
        maxLineBytes: config.file.maxLineBytes,
        pollIntervalMs: config.file.pollIntervalMs,
        window: config.file.window,
        dataDir,
      },
      log,
      {
        deadLettered: (code) => health.deadLettered(code),
        deadLetterFailed: (code) => health.deadLetterFailed(code),
        read: (bytes, lines) => metrics.m?.read(bytes, lines),
        skipped: () => metrics.m?.skippedLine(),
      },
    );
    metrics.m = new FileMetrics(registry, name, source.stats);
    sources.push(source);
  }

  let stopping = false;
  const metricsServer = createMetricsServer(registry, {
    healthy: () => !stopping,
    ready: () => !stopping && sources.every((s) => s.ready),
    sources: () => sources.map((s) => ({ name: s.name, ready: s.ready })),
  }, web);
  const server = metricsServer.server;
  const metricsAddress = await listen(server, config.metrics.host, config.metrics.port);
  // SIGHUP re-reads the web config (rotated certificates, changed users), as a Prometheus
  // reload does; a bad file is logged and the running one kept.
  // Only with a file: without one SIGHUP keeps its default (it ends the process), as before.
  const onHup = (): void => {
    try {
      metricsServer.reload(loadWebConfig(webConfigFile));
      log.info({ file: webConfigFile }, 'web config reloaded');
    } catch (err) {
      log.error({ file: webConfigFile, err: (err as Error).message }, 'web config not reloaded; the previous one stays');
    }
  };
  if (webConfigFile !== '') process.on('SIGHUP', onHup);
  log.info({ config: redactConfig(config) }, 'configuration');
  log.info(
    {
      metrics: `${metricsServer.scheme}://${metricsAddress.address}:${metricsAddress.port}/metrics`,
      otlp: url !== undefined ? redactUrl(url) : 'stdout (no endpoint configured)',
      protocol: otlp.protocol,
      sources: sources.map((s) => s.name),
    },
    `cadf-exporter ${VERSION} started`,
  );
  for (const s of sources) s.start(p.onDelivery);

  let done: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> =>
    (done ??= (async () => {
      stopping = true;
      const deadline = Date.now() + config.shutdownTimeoutMs;
      log.info({ reason, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: no new messages; finishing exports in flight');
      await Promise.all(sources.map((s) => s.stopConsuming()));
      // Lookups queued behind the deadline must not fire: names are not worth a late exit.
      const stopLookups = setTimeout(() => keystone?.close(), Math.max(0, deadline - Date.now()));
      await p.drain(deadline);
      clearTimeout(stopLookups);
      if (Date.now() >= deadline) log.warn({ timeoutMs: config.shutdownTimeoutMs }, 'deadline reached; what was not exported goes back to the queue');
      await Promise.all(sources.map((s) => s.close()));
      await exporter.shutdown().catch(() => undefined);
      // Alerts of the records just exported still get their chance: until the deadline, or 1 s
      // when the exports used it all up (a notification is worth one more second, not more).
      await notifier?.shutdown(Math.max(deadline, Date.now() + 1000));
      await naming.close();
      await enricher.close();
      unlock();
      process.off('SIGHUP', onHup);
      await new Promise<void>((r) => server.close(() => r()));
      log.info('stopped');
    })());
  return { metricsAddress, shutdown };
}
