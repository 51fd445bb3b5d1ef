import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DECODE_ERROR_CODES } from '../cadf/errors.js';
import { NAME_KINDS } from '../enrich/name-memory.js';
import { DELIVERY_ERROR_CODES } from '../pipeline/export-loop.js';

/** Every self-metric, with its help text: docs/metrics.md is checked against this list. */
export const HEALTH_METRICS = {
  received: {
    name: 'cadf_exporter_messages_received_total',
    help: 'AMQP messages received, by result: decoded, invalid (dead-lettered), duplicate (already exported, acked only) or api_request_dropped (the request half of an API call pair, acked only when dedup.dropApiRequests).',
    labelNames: ['result'],
  },
  exported: {
    name: 'cadf_exporter_records_exported_total',
    help: 'Log records the OTLP endpoint (or stdout) accepted.',
    labelNames: [],
  },
  deadLetters: {
    name: 'cadf_exporter_dead_letters_total',
    help: 'Messages dead-lettered (counted once the broker confirmed and routed them), by reason: a decode error code, otlp_rejected, encode_failed or record_failed.',
    labelNames: ['reason'],
  },
  deadLetterFailures: {
    name: 'cadf_exporter_dead_letter_failures_total',
    help: 'Dead-letter publishes that failed (refused by the broker, not confirmed in time, connection lost), by reason code of the message; the message goes back to the queue.',
    labelNames: ['reason'],
  },
  requeued: {
    name: 'cadf_exporter_requeued_total',
    help: 'Messages given back to the queue to come again, by why: shutdown (not exported by the deadline), dead_letter_failed, internal.',
    labelNames: ['why'],
  },
  exportFailures: {
    name: 'cadf_exporter_export_failures_total',
    help: 'Failed export requests (each is retried, or split to find a refused record), by reason: status_400, status_401, status_403, status_404, status_413, status_429, status_4xx, status_5xx, timeout, network, encode, other.',
    labelNames: ['reason'],
  },
  rejectedRecords: {
    name: 'cadf_exporter_records_rejected_total',
    help: 'Records the OTLP endpoint accepted a request for but dropped (OTLP partial_success rejected_log_records): lost from the log store, acked all the same (the spec forbids retrying them).',
    labelNames: [],
  },
  refusingAll: {
    name: 'cadf_exporter_export_refusing_all',
    help: '1 while the endpoint refuses every record (a systemic 400): records then wait with backoff instead of being dead-lettered.',
    labelNames: [],
  },
  oldestUnsettled: {
    name: 'cadf_exporter_oldest_unsettled_seconds',
    help: 'Age of the oldest message received and not yet settled (acked, dead-lettered or requeued): a stall alarm.',
    labelNames: [],
  },
  pipelineItems: {
    name: 'cadf_exporter_pipeline_items',
    help: 'Messages held in memory by the pipeline (batching, waiting, exporting); bounded by the sources\' windows.',
    labelNames: [],
  },
  channelLost: {
    name: 'cadf_exporter_channel_lost_messages_total',
    help: 'Messages dropped from a batch because their channel closed before they were settled (the broker redelivers them).',
    labelNames: [],
  },
  exportDuration: {
    name: 'cadf_exporter_export_duration_seconds',
    help: 'Duration of export requests (batches), successful or not.',
    labelNames: [],
  },
  lag: {
    name: 'cadf_exporter_event_lag_seconds',
    help: 'Time from an event (its eventTime) to its export.',
    labelNames: [],
  },
  lastExport: {
    name: 'cadf_exporter_last_export_timestamp_seconds',
    help: 'Unix time of the last successful export: stale when Keystone is silent or misconfigured.',
    labelNames: [],
  },
  connected: {
    name: 'cadf_exporter_amqp_connected',
    help: '1 while connected to RabbitMQ and consuming, else 0, by source (amqp, or amqp:<name> for each of amqp.brokers).',
    labelNames: ['source'],
  },
  reconnects: {
    name: 'cadf_exporter_amqp_reconnects_total',
    help: 'Reconnection attempts to RabbitMQ after a lost connection, channel or consumer, by source.',
    labelNames: ['source'],
  },
  inflight: {
    name: 'cadf_exporter_inflight_messages',
    help: 'Messages received and not yet acknowledged (bounded by amqp.prefetch).',
    labelNames: [],
  },
  nameCache: {
    name: 'cadf_exporter_name_cache_requests_total',
    help: 'Names asked of the name memory, by result: hit or miss.',
    labelNames: ['result'],
  },
  nameLookups: {
    name: 'cadf_exporter_name_lookups_total',
    help: 'Keystone name lookups by result: found, not_found, error, rate_limited, or timeout (the record went out without the name).',
    labelNames: ['result'],
  },
  names: {
    name: 'cadf_exporter_names',
    help: 'Names in the name memory, by kind (user, project, domain, group, role).',
    labelNames: ['kind'],
  },
  unnamedDeletions: {
    name: 'cadf_exporter_unnamed_deletions_total',
    help: 'Deletion records of a user, project, domain, group or role that went out with no name for it, by kind: no event, store or Keystone listing taught it in time.',
    labelNames: ['kind'],
  },
  nameMemoryWriteFailures: {
    name: 'cadf_exporter_name_memory_write_failures_total',
    help: 'Writes of the name memory to the data directory that failed (full disk, I/O error); the names stay queued and are retried.',
    labelNames: [],
  },
  nameStoreUp: {
    name: 'cadf_exporter_name_store_up',
    help: '1 while the shared name store (enrich.storeUrl) answers, else 0, by store (mysql or postgres); absent without a store.',
    labelNames: ['store'],
  },
  nameStoreErrors: {
    name: 'cadf_exporter_name_store_errors_total',
    help: 'Failed operations on the shared name store, by op: migrate, write, read (a cache miss) or refresh (the read of the other replicas\' changes).',
    labelNames: ['op'],
  },
  nameStoreLookups: {
    name: 'cadf_exporter_name_store_lookups_total',
    help: 'Names the local memory missed and asked of the shared store, by result: hit or miss.',
    labelNames: ['result'],
  },
  nameStorePending: {
    name: 'cadf_exporter_name_store_pending_names',
    help: 'Names learned here and not yet written to the shared store (grows while it is down).',
    labelNames: [],
  },
  namesPrimed: {
    name: 'cadf_exporter_names_primed_total',
    help: "Names read from Keystone's list APIs (priming and periodic refresh), by kind.",
    labelNames: ['kind'],
  },
  primeRuns: {
    name: 'cadf_exporter_name_prime_runs_total',
    help: "Runs of the Keystone listing (keystone.primeIntervalSeconds), by result: success or error.",
    labelNames: ['result'],
  },
  notificationsSent: {
    name: 'cadf_exporter_notifications_sent_total',
    help: 'Alerts (one per record and matching notification rule) Alertmanager accepted.',
    labelNames: [],
  },
  notificationsFailed: {
    name: 'cadf_exporter_notifications_failed_total',
    help: 'Alerts no Alertmanager accepted after notify.maxRetries retries, by reason: timeout, network, status_4xx, status_5xx.',
    labelNames: ['reason'],
  },
  notificationsDropped: {
    name: 'cadf_exporter_notifications_dropped_total',
    help: 'Alerts dropped before any attempt, by reason: queue_full (notify.queueSize alerts already waiting) or shutdown (still queued at the shutdown deadline).',
    labelNames: ['reason'],
  },
  notificationsPending: {
    name: 'cadf_exporter_notifications_pending',
    help: 'Alerts waiting to be posted to Alertmanager (at most notify.queueSize).',
    labelNames: [],
  },
  buildInfo: {
    name: 'cadf_exporter_build_info',
    help: 'Always 1; the labels say which version runs on which Node.js.',
    labelNames: ['version', 'nodejs'],
  },
} as const;

export type ReceiveResult = 'decoded' | 'invalid' | 'duplicate' | 'api_request_dropped';

/** What the health gauges read when scraped. */
export interface HealthGauges {
  inflight(): number;
  oldestUnsettledSeconds(): number;
  pipelineItems(): number;
  names(kind: (typeof NAME_KINDS)[number]): number;
  /** Names waiting for the shared store (0 without one). */
  nameStorePending(): number;
  /** Alerts waiting for Alertmanager (0 without notifications). */
  notificationsPending(): number;
}

/** The exporter's own health, one named method per thing that happens (no inc() elsewhere). */
export class Health {
  private readonly received: Counter;
  private readonly exportedRecords: Counter;
  private readonly deadLetters: Counter;
  private readonly exportFailures: Counter;
  private readonly exportDuration: Histogram;
  private readonly lag: Histogram;
  private readonly lastExport: Gauge;
  private readonly connectedGauge: Gauge;
  private readonly reconnects: Counter;

  private readonly nameCache: Counter;
  private readonly nameLookups: Counter;
  private readonly deadLetterFailures: Counter;
  private readonly requeuedCounter: Counter;
  private readonly rejectedRecords: Counter;
  private readonly refusingAllGauge: Gauge;
  private readonly channelLostCounter: Counter;
  private readonly unnamedDeletions: Counter;
  private readonly nameStoreUpGauge: Gauge;
  private readonly nameStoreErrors: Counter;
  private readonly nameMemoryWriteFailures: Counter;
  private readonly nameStoreLookups: Counter;
  private readonly namesPrimed: Counter;
  private readonly primeRuns: Counter;
  private readonly notificationsSentCounter: Counter;
  private readonly notificationsFailedCounter: Counter;
  private readonly notificationsDroppedCounter: Counter;

  constructor(registry: Registry, version: string, gauges: HealthGauges) {
    const reg = { registers: [registry] };
    const m = HEALTH_METRICS;
    this.received = new Counter({ ...m.received, labelNames: [...m.received.labelNames], ...reg });
    for (const r of ['decoded', 'invalid', 'duplicate']) this.received.inc({ result: r }, 0);
    this.exportedRecords = new Counter({ ...m.exported, labelNames: [], ...reg });
    this.deadLetters = new Counter({ ...m.deadLetters, labelNames: [...m.deadLetters.labelNames], ...reg });
    this.exportFailures = new Counter({ ...m.exportFailures, labelNames: [...m.exportFailures.labelNames], ...reg });
    this.exportDuration = new Histogram({
      ...m.exportDuration,
      labelNames: [],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ...reg,
    });
    this.lag = new Histogram({
      ...m.lag,
      labelNames: [],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
      ...reg,
    });
    this.lastExport = new Gauge({ ...m.lastExport, labelNames: [], ...reg });
    this.connectedGauge = new Gauge({ ...m.connected, labelNames: [...m.connected.labelNames], ...reg });
    this.reconnects = new Counter({ ...m.reconnects, labelNames: [...m.reconnects.labelNames], ...reg });
    new Gauge({
      ...m.inflight,
      labelNames: [],
      ...reg,
      collect() {
        this.set(gauges.inflight());
      },
    });
    new Gauge({
      ...m.oldestUnsettled,
      labelNames: [],
      ...reg,
      collect() {
        this.set(gauges.oldestUnsettledSeconds());
      },
    });
    new Gauge({
      ...m.pipelineItems,
      labelNames: [],
      ...reg,
      collect() {
        this.set(gauges.pipelineItems());
      },
    });
    this.deadLetterFailures = new Counter({ ...m.deadLetterFailures, labelNames: [...m.deadLetterFailures.labelNames], ...reg });
    this.requeuedCounter = new Counter({ ...m.requeued, labelNames: [...m.requeued.labelNames], ...reg });
    // Known label values start at 0, so rate() and the dashboards see them before the first one.
    for (const why of ['shutdown', 'dead_letter_failed', 'internal']) this.requeuedCounter.inc({ why }, 0);
    for (const reason of [...DECODE_ERROR_CODES, ...DELIVERY_ERROR_CODES]) this.deadLetterFailures.inc({ reason }, 0);
    this.rejectedRecords = new Counter({ ...m.rejectedRecords, labelNames: [], ...reg });
    this.refusingAllGauge = new Gauge({ ...m.refusingAll, labelNames: [], ...reg });
    this.refusingAllGauge.set(0);
    this.channelLostCounter = new Counter({ ...m.channelLost, labelNames: [], ...reg });
    this.nameCache = new Counter({ ...m.nameCache, labelNames: [...m.nameCache.labelNames], ...reg });
    this.nameLookups = new Counter({ ...m.nameLookups, labelNames: [...m.nameLookups.labelNames], ...reg });
    new Gauge({
      ...m.names,
      labelNames: [...m.names.labelNames],
      ...reg,
      collect() {
        for (const kind of NAME_KINDS) this.set({ kind }, gauges.names(kind));
      },
    });
    this.unnamedDeletions = new Counter({ ...m.unnamedDeletions, labelNames: [...m.unnamedDeletions.labelNames], ...reg });
    for (const kind of NAME_KINDS) this.unnamedDeletions.inc({ kind }, 0);
    this.nameMemoryWriteFailures = new Counter({ ...m.nameMemoryWriteFailures, labelNames: [], ...reg });
    this.nameMemoryWriteFailures.inc(0);
    this.nameStoreUpGauge = new Gauge({ ...m.nameStoreUp, labelNames: [...m.nameStoreUp.labelNames], ...reg });
    this.nameStoreErrors = new Counter({ ...m.nameStoreErrors, labelNames: [...m.nameStoreErrors.labelNames], ...reg });
    this.nameStoreLookups = new Counter({ ...m.nameStoreLookups, labelNames: [...m.nameStoreLookups.labelNames], ...reg });
    new Gauge({
      ...m.nameStorePending,
      labelNames: [],
      ...reg,
      collect() {
        this.set(gauges.nameStorePending());
      },
    });
    this.namesPrimed = new Counter({ ...m.namesPrimed, labelNames: [...m.namesPrimed.labelNames], ...reg });
    this.primeRuns = new Counter({ ...m.primeRuns, labelNames: [...m.primeRuns.labelNames], ...reg });
    this.notificationsSentCounter = new Counter({ ...m.notificationsSent, labelNames: [], ...reg });
    this.notificationsFailedCounter = new Counter({ ...m.notificationsFailed, labelNames: [...m.notificationsFailed.labelNames], ...reg });
    for (const reason of ['timeout', 'network', 'status_4xx', 'status_5xx']) this.notificationsFailedCounter.inc({ reason }, 0);
    this.notificationsDroppedCounter = new Counter({ ...m.notificationsDropped, labelNames: [...m.notificationsDropped.labelNames], ...reg });
    for (const reason of ['queue_full', 'shutdown']) this.notificationsDroppedCounter.inc({ reason }, 0);
    new Gauge({
      ...m.notificationsPending,
      labelNames: [],
      ...reg,
      collect() {
        this.set(gauges.notificationsPending());
      },
    });
    new Gauge({ ...m.buildInfo, labelNames: [...m.buildInfo.labelNames], ...reg }).set(
      { version, nodejs: process.version },
      1,
    );
  }

  messageReceived(result: ReceiveResult): void {
    this.received.inc({ result });
  }

  deadLettered(reason: string): void {
    this.deadLetters.inc({ reason });
  }

  exportSucceeded(records: number, seconds: number, nowSeconds: number): void {
    this.exportedRecords.inc(records);
    this.exportDuration.observe(seconds);
    this.lastExport.set(nowSeconds);
  }

  exportFailed(reason: string, seconds: number): void {
    this.exportFailures.inc({ reason });
    this.exportDuration.observe(seconds);
  }

  deadLetterFailed(reason: string): void {
    this.deadLetterFailures.inc({ reason });
  }

  requeued(why: string, n = 1): void {
    this.requeuedCounter.inc({ why }, n);
  }

  recordsRejected(n: number): void {
    this.rejectedRecords.inc(n);
  }

  refusingAll(on: boolean): void {
    this.refusingAllGauge.set(on ? 1 : 0);
  }

  channelLost(n: number): void {
    this.channelLostCounter.inc(n);
  }

  eventLag(seconds: number): void {
    this.lag.observe(seconds);
  }

  connected(source: string, up: boolean): void {
    this.connectedGauge.set({ source }, up ? 1 : 0);
  }

  reconnecting(source: string): void {
    this.reconnects.inc({ source });
  }

  /** A source's series exist (at 0) from the start, so dashboards and alerts see it before any event. */
  sourceAdded(source: string): void {
    this.connectedGauge.set({ source }, 0);
    this.reconnects.inc({ source }, 0);
  }

  nameAsked(hit: boolean): void {
    this.nameCache.inc({ result: hit ? 'hit' : 'miss' });
  }

  nameLookedUp(result: string): void {
    this.nameLookups.inc({ result });
  }

  deletionUnnamed(kind: string): void {
    this.unnamedDeletions.inc({ kind });
  }

  /** The store's series exist from the start: its errors at 0, up at 0 until it answers. */
  nameStoreAdded(store: string): void {
    this.nameStoreUpGauge.set({ store }, 0);
    for (const op of ['migrate', 'write', 'read', 'refresh']) this.nameStoreErrors.inc({ op }, 0);
    for (const result of ['hit', 'miss']) this.nameStoreLookups.inc({ result }, 0);
  }

  nameStoreUp(store: string, up: boolean): void {
    this.nameStoreUpGauge.set({ store }, up ? 1 : 0);
  }

  nameMemoryWriteFailed(): void {
    this.nameMemoryWriteFailures.inc();
  }

  nameStoreFailed(op: string): void {
    this.nameStoreErrors.inc({ op });
  }

  nameStoreAsked(hit: boolean): void {
    this.nameStoreLookups.inc({ result: hit ? 'hit' : 'miss' });
  }

  namesPrimedFromKeystone(kind: string, n: number): void {
    this.namesPrimed.inc({ kind }, n);
  }

  primeRan(ok: boolean): void {
    this.primeRuns.inc({ result: ok ? 'success' : 'error' });
  }

  notificationsSent(n: number): void {
    this.notificationsSentCounter.inc(n);
  }

  notificationsFailed(n: number, reason: string): void {
    this.notificationsFailedCounter.inc({ reason }, n);
  }

  notificationsDropped(n: number, reason: string): void {
    this.notificationsDroppedCounter.inc({ reason }, n);
  }
}
