import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { NAME_KINDS } from '../../enrich/name-memory.js';

/** Every self-metric, with its help text: docs/metrics.md is checked against this list. */
export const HEALTH_METRICS = {
  received: {
    name: 'cadf_exporter_messages_received_total',
    help: 'AMQP messages received, by result: decoded, invalid (dead-lettered) or duplicate (already exported, acked only).',
    labelNames: ['result'],
  },
  exported: {
    name: 'cadf_exporter_records_exported_total',
    help: 'Log records the OTLP endpoint (or stdout) accepted.',
    labelNames: [],
  },
  deadLetters: {
    name: 'cadf_exporter_dead_letters_total',
    help: 'Messages published to the dead-letter queue, by reason: a decode error code, or otlp_rejected.',
    labelNames: ['reason'],
  },
  exportFailures: {
    name: 'cadf_exporter_export_failures_total',
    help: 'Failed export requests (each is retried, or split to find a rejected record), by reason: status_400, status_401 ..., status_5xx, timeout, network, other.',
    labelNames: ['reason'],
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
    help: '1 while connected to RabbitMQ and consuming, else 0.',
    labelNames: [],
  },
  reconnects: {
    name: 'cadf_exporter_amqp_reconnects_total',
    help: 'Reconnection attempts to RabbitMQ after a lost connection, channel or consumer.',
    labelNames: [],
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
  buildInfo: {
    name: 'cadf_exporter_build_info',
    help: 'Always 1; the labels say which version runs on which Node.js.',
    labelNames: ['version', 'nodejs'],
  },
} as const;

export type ReceiveResult = 'decoded' | 'invalid' | 'duplicate';

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

  constructor(registry: Registry, version: string, inflight: () => number, names: (kind: (typeof NAME_KINDS)[number]) => number) {
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
    this.connectedGauge = new Gauge({ ...m.connected, labelNames: [], ...reg });
    this.reconnects = new Counter({ ...m.reconnects, labelNames: [], ...reg });
    new Gauge({
      ...m.inflight,
      labelNames: [],
      ...reg,
      collect() {
        this.set(inflight());
      },
    });
    this.nameCache = new Counter({ ...m.nameCache, labelNames: [...m.nameCache.labelNames], ...reg });
    this.nameLookups = new Counter({ ...m.nameLookups, labelNames: [...m.nameLookups.labelNames], ...reg });
    new Gauge({
      ...m.names,
      labelNames: [...m.names.labelNames],
      ...reg,
      collect() {
        for (const kind of NAME_KINDS) this.set({ kind }, names(kind));
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

  eventLag(seconds: number): void {
    this.lag.observe(seconds);
  }

  connected(up: boolean): void {
    this.connectedGauge.set(up ? 1 : 0);
  }

  reconnecting(): void {
    this.reconnects.inc();
  }

  nameAsked(hit: boolean): void {
    this.nameCache.inc({ result: hit ? 'hit' : 'miss' });
  }

  nameLookedUp(result: string): void {
    this.nameLookups.inc({ result });
  }
}
