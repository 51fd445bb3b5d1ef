/** Dashboard 3: is cadf-exporter itself healthy? Messages in, records out, failures, lag, process. */
import { DashboardBuilder, PROM, VARIABLES, type Json, type JsonObject, type PanelSpec } from './grafana.js';
import { dashboardLinks } from './identity.js';
import { THRESHOLDS } from './thresholds.js';

const M = 'job=~"$job", instance=~"$instance"';
const sel = (metric: string, extra = ''): string => `${metric}{${M}${extra === '' ? '' : `, ${extra}`}}`;

function stat(title: string, expr: string, description: string, extra: Partial<PanelSpec> = {}): PanelSpec {
  return { type: 'stat', title, description, w: 4, h: 4, ds: PROM, queries: [{ expr, instant: true, legend: '{{instance}}' }], unit: 'short', ...extra };
}

function series(title: string, description: string, queries: Array<{ expr: string; legend: string }>, extra: Partial<PanelSpec> = {}): PanelSpec {
  return { type: 'timeseries', title, description, w: 12, h: 8, ds: PROM, queries, unit: 'short', ...extra };
}

const upDown = (up: string, down: string): Json[] => [
  { type: 'value', options: { '0': { text: down, color: 'red', index: 0 }, '1': { text: up, color: 'green', index: 1 } } },
];

export function healthDashboard(): JsonObject {
  const b = new DashboardBuilder();
  b.row('Status', 'Is it running, connected to RabbitMQ and exporting? Start here when a panel of the audit dashboards looks empty.');
  b.line(
    stat('Scrape', sel('up'), 'Whether Prometheus can scrape the exporter\'s /metrics. DOWN: the process or container is not running or not reachable from Prometheus (alert CadfExporterDown); its stderr log says why it stopped.', { mappings: upDown('UP', 'DOWN'), thresholds: [{ color: 'red', value: 0 }, { color: 'green', value: 1 }] }),
    stat('RabbitMQ', sel('cadf_exporter_amqp_connected'), 'Connected to RabbitMQ and consuming (1), or not (0: alert CadfExporterNotConsuming after 5 minutes). Disconnected: the broker is down or refuses the credentials, or the queue exists with other arguments (CADF_AMQP_QUEUE_TYPE); the exporter keeps reconnecting, see "Reconnects".', { mappings: upDown('consuming', 'disconnected'), thresholds: [{ color: 'red', value: 0 }, { color: 'green', value: 1 }] }),
    stat('Since last export', `time() - max by (instance) (${sel('cadf_exporter_last_export_timestamp_seconds')})`, `Time since a record was last exported. "never" right after a start is normal until the first event. Over ${THRESHOLDS.noEventsSeconds / 3600} h (alert CadfExporterNoEvents): Keystone is silent or not configured to notify, or the exporter is bound to the wrong exchanges.`, {
      unit: 's',
      decimals: 0,
      thresholds: [{ color: 'orange', value: 600 }, { color: 'red', value: THRESHOLDS.noEventsSeconds }],
      // The gauge is 0 until the first export: time() - 0 is decades.
      mappings: [{ type: 'range', options: { from: 1e9, to: 1e12, result: { text: 'never', color: 'orange', index: 0 } } }],
    }),
    stat('In flight', `sum by (instance) (${sel('cadf_exporter_inflight_messages')})`, 'Messages received and not yet acknowledged; bounded by amqp.prefetch (default 1000). Stuck at the prefetch: exports are failing or slow (see "Export failures by reason"), RabbitMQ holds the rest.', { decimals: 0, thresholds: [{ color: 'orange', value: 800 }] }),
    stat('Dead letters', `sum(increase(${sel('cadf_exporter_dead_letters_total')}[$__range]))`, 'Messages sent to the dead-letter queue in the time range (undecodable, or refused by the log backend). Anything above 0: read them from cadf-exporter.dead (headers x-cadf-error-code, x-cadf-error-message) and docs/errors.md.', { decimals: 0, noValue: '0', thresholds: [{ color: 'red', value: 1 }] }),
    stat('Export failures', `sum(increase(${sel('cadf_exporter_export_failures_total')}[$__range]))`, 'Failed export requests in the time range. Each is retried (nothing is lost: the messages stay unacked); many in a row mean the OTLP endpoint is down or refusing: see "Export failures by reason".', { decimals: 0, noValue: '0', thresholds: [{ color: 'orange', value: 1 }, { color: 'red', value: 100 }] }),
  );

  b.row('Throughput', 'Messages from RabbitMQ, records to the log backend.');
  b.line(
    series('Messages received by result', 'AMQP messages per second by result: decoded, invalid (dead-lettered) or duplicate (a redelivered message already exported: acked, not exported again). A steady share of invalid: some publisher sends something the exporter cannot read, see the dead letters. Duplicates after a reconnect are normal.', [{ expr: `sum by (result) (rate(${sel('cadf_exporter_messages_received_total')}[$__rate_interval]))`, legend: '{{result}}' }], {
      unit: 'suffix: msg/s',
      style: 'stacked-lines',
      overrides: [
        { matcher: { id: 'byName', options: 'decoded' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'green' } }] },
        { matcher: { id: 'byName', options: 'invalid' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'red' } }] },
        { matcher: { id: 'byName', options: 'duplicate' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'yellow' } }] },
      ],
    }),
    series('Records exported and events by category', 'Log records the OTLP endpoint accepted per second, and the decoded events by category (authentication, identity, api, other). Records below decoded messages for long: exports lag or fail.', [
      { expr: `sum(rate(${sel('cadf_exporter_records_exported_total')}[$__rate_interval]))`, legend: 'records exported' },
      { expr: `sum by (category) (rate(${sel('cadf_events_total')}[$__rate_interval]))`, legend: '{{category}} events' },
    ], { unit: 'suffix: /s' }),
  );

  b.row('Failures', 'Exports that failed and messages that were dead-lettered.');
  b.line(
    series('Export failures by reason', `Failed export requests per second by reason. status_5xx, timeout, network: the endpoint (Loki) is down or overloaded; status_429: rate-limited; status_401/403: OTEL_EXPORTER_OTLP_HEADERS is wrong; status_400/413: a record was refused and dead-lettered. Alert CadfExporterExportFailing above ${THRESHOLDS.exportFailureRatio * 100}% of the requests.`, [{ expr: `sum by (reason) (rate(${sel('cadf_exporter_export_failures_total')}[$__rate_interval]))`, legend: '{{reason}}' }], { unit: 'suffix: /s', style: 'stacked-bars', color: 'red' }),
    series('Dead letters by reason', 'Messages sent to the dead-letter queue per rate interval, by reason: a decode error code (docs/errors.md) or otlp_rejected. They are kept in the queue cadf-exporter.dead with the reason in their headers: read them there, fix the publisher, and republish if needed.', [{ expr: `sum by (reason) (increase(${sel('cadf_exporter_dead_letters_total')}[$__rate_interval]))`, legend: '{{reason}}' }], { style: 'stacked-bars' }),
  );

  b.row('Delivery', 'Every message ends acked (exported), dead-lettered or requeued. These panels show the ones that have not yet, and the paths that are not plain exports.');
  b.line(
    { ...series('Oldest unsettled message', 'Age of the oldest message received and not yet acked, dead-lettered or requeued. Under a second while the stream flows; it grows during an endpoint outage (retries) and falls when it ends. Above the red line (5 min) for 2 minutes: alert CadfExporterStalled, a message is stuck; if no export failure explains it, restart the exporter (unsettled messages go back to the queue).', [{ expr: `max by (instance) (${sel('cadf_exporter_oldest_unsettled_seconds')})`, legend: '{{instance}}' }], { unit: 's', thresholds: [{ color: 'red', value: 300 }], thresholdLines: true }), w: 8 },
    { ...series('Requeued and dead letters that failed', 'Messages given back to the queue per rate interval (shutdown: not exported by the deadline; dead_letter_failed: the dead-letter queue refused or did not confirm, the message comes again after a delay), and the failed dead-letter publishes. A steady dead_letter_failed: the dead-letter queue refuses publishes (max-length policy, disk alarm).', [
      { expr: `sum by (why) (increase(${sel('cadf_exporter_requeued_total')}[$__rate_interval]))`, legend: 'requeued: {{why}}' },
      { expr: `sum(increase(${sel('cadf_exporter_dead_letter_failures_total')}[$__rate_interval]))`, legend: 'dead letter failed' },
    ], { style: 'stacked-bars', color: 'orange' }), w: 8 },
    { ...series('Refused by the endpoint', 'Records the endpoint dropped from requests it accepted (OTLP partial success: not in the log store, alert CadfExporterRecordsRejected), and whether it refuses every record (1: a systemic 400, records wait, alert CadfExporterEndpointRefusingAll).', [
      { expr: `sum(increase(${sel('cadf_exporter_records_rejected_total')}[$__rate_interval]))`, legend: 'dropped (partial success)' },
      { expr: `max(${sel('cadf_exporter_export_refusing_all')})`, legend: 'refusing all' },
    ], { color: 'red' }), w: 8 },
  );

  b.row('Latency', 'How old events are when exported, and how long exports take.');
  b.line(
    series('Event lag', `Time from an event (its CADF eventTime) to its export, p50/p90/p99. The red line is the CadfExporterLagHigh threshold (p90 over ${THRESHOLDS.lagP90Seconds} s). High after an outage while the backlog drains; a constant offset of minutes or hours: the publishing hosts' clocks are off.`, [
      { expr: `histogram_quantile(0.5, sum by (le) (rate(${sel('cadf_exporter_event_lag_seconds_bucket')}[$__rate_interval])))`, legend: 'p50' },
      { expr: `histogram_quantile(0.9, sum by (le) (rate(${sel('cadf_exporter_event_lag_seconds_bucket')}[$__rate_interval])))`, legend: 'p90' },
      { expr: `histogram_quantile(0.99, sum by (le) (rate(${sel('cadf_exporter_event_lag_seconds_bucket')}[$__rate_interval])))`, legend: 'p99' },
    ], { unit: 's', thresholds: [{ color: 'red', value: THRESHOLDS.lagP90Seconds }], thresholdLines: true }),
    series('Export request duration', 'How long export requests (batches, successful or not) take, p50/p90/p99. Rising toward OTEL_EXPORTER_OTLP_TIMEOUT (10 s): the endpoint is overloaded; timeouts show up as export failures.', [
      { expr: `histogram_quantile(0.5, sum by (le) (rate(${sel('cadf_exporter_export_duration_seconds_bucket')}[$__rate_interval])))`, legend: 'p50' },
      { expr: `histogram_quantile(0.9, sum by (le) (rate(${sel('cadf_exporter_export_duration_seconds_bucket')}[$__rate_interval])))`, legend: 'p90' },
      { expr: `histogram_quantile(0.99, sum by (le) (rate(${sel('cadf_exporter_export_duration_seconds_bucket')}[$__rate_interval])))`, legend: 'p99' },
    ], { unit: 's' }),
  );

  b.row('RabbitMQ connection', 'Connection state, reconnects and in-flight messages.');
  b.line(
    { ...series('Connection state', 'Consuming (1) or not (0), per instance. Dips to 0 with reconnects: the broker closed the connection (restart, failover, a heartbeat timeout); staying at 0: see the exporter\'s log.', [{ expr: sel('cadf_exporter_amqp_connected'), legend: '{{instance}}' }], { style: 'steps', min: 0, max: 1, mappings: upDown('consuming', 'disconnected') }), w: 8 },
    { ...series('Reconnects', 'Reconnection attempts per rate interval after a lost connection, channel or consumer. A few around a broker restart are normal; a steady stream means the connection keeps failing (credentials, TLS, a queue declared with other arguments).', [{ expr: `sum by (instance) (increase(${sel('cadf_exporter_amqp_reconnects_total')}[$__rate_interval]))`, legend: '{{instance}}' }], { style: 'bars', color: 'orange' }), w: 8 },
    { ...series('In-flight messages', 'Messages received and not yet acknowledged, per instance (at most amqp.prefetch). Flat at the prefetch: exports are stuck.', [{ expr: sel('cadf_exporter_inflight_messages'), legend: '{{instance}}' }]), w: 8 },
  );

  b.row('File source', 'Reading the services\' log files instead of (or as well as) RabbitMQ (CADF_SOURCES=file or both; README "Without RabbitMQ"). Empty without a file source.');
  b.line(
    { ...series('File lag', 'Bytes of each log file after its checkpoint: written by the service, not yet exported. Growing: exports are failing or slow, or reading is paused because the pipeline is full (file.window). Back to 0 when caught up.', [{ expr: sel('cadf_exporter_file_lag_bytes'), legend: '{{instance}} {{path}}' }], { unit: 'bytes' }), w: 8 },
    { ...series('Lines read and skipped', 'Lines read from log files per second, and those that were not notifications (the rest of the service log, skipped: not an error).', [{ expr: `sum by (instance) (rate(${sel('cadf_exporter_file_read_lines_total')}[$__rate_interval]))`, legend: '{{instance}} read' }, { expr: `sum by (instance) (rate(${sel('cadf_exporter_file_skipped_lines_total')}[$__rate_interval]))`, legend: '{{instance}} skipped' }]), w: 8 },
    { ...series('Files watched', 'Files the paths match now, plus rotated-away files still being finished.', [{ expr: sel('cadf_exporter_file_watched'), legend: '{{instance}}' }]), w: 8 },
  );

  b.row('Process', 'Memory, CPU and the event loop of the Node.js process.');
  b.line(
    { ...series('Memory', 'Resident memory and the V8 heap. Memory grows with amqp.prefetch (messages held until exported) and the name memory (enrich.maxNames); a heap that only grows across hours is a leak: report it with the exporter\'s version.', [
      { expr: sel('process_resident_memory_bytes'), legend: 'resident {{instance}}' },
      { expr: sel('nodejs_heap_size_used_bytes'), legend: 'heap used {{instance}}' },
      { expr: sel('nodejs_heap_size_total_bytes'), legend: 'heap total {{instance}}' },
    ], { unit: 'bytes' }), w: 8 },
    { ...series('CPU', 'CPU used, in cores (1 = one core busy). The exporter decodes about 100,000 events per second per core; high CPU at low traffic points at something else (retries in a loop, a debug log level).', [{ expr: `rate(${sel('process_cpu_seconds_total')}[$__rate_interval])`, legend: '{{instance}}' }], { unit: 'none', decimals: 2 }), w: 8 },
    { ...series('Event loop lag', 'p99 delay of the Node.js event loop. Above 100 ms the process is overloaded (or starved of CPU by its container limits): acks and exports slow down.', [{ expr: sel('nodejs_eventloop_lag_p99_seconds'), legend: '{{instance}}' }], { unit: 's', thresholds: [{ color: 'red', value: 0.1 }], thresholdLines: true }), w: 8 },
  );

  b.row('Name memory', 'IDs resolved to names (docs/names.md).');
  b.line(
    { ...series('Names remembered', 'Names in the name memory by kind (user, project, domain, group, role). Roles and projects stay at 0 without Keystone lookups (CADF_KEYSTONE_URL): events carry user names only.', [{ expr: `sum by (kind) (${sel('cadf_exporter_names')})`, legend: '{{kind}}' }]), w: 8 },
    { ...series('Name memory hit ratio', 'Share of names found in the name memory. Low: ids the exporter never saw by name; with CADF_KEYSTONE_URL set they are looked up (next panel).', [{ expr: `sum(rate(${sel('cadf_exporter_name_cache_requests_total', 'result="hit"')}[$__rate_interval])) / sum(rate(${sel('cadf_exporter_name_cache_requests_total')}[$__rate_interval]))`, legend: 'hit ratio' }], { unit: 'percentunit', min: 0, max: 1 }), w: 8 },
    { ...series('Keystone name lookups', 'Name lookups against Keystone by result. error or timeout: check CADF_KEYSTONE_URL and its credentials (a reader is enough); rate_limited: raise CADF_KEYSTONE_MAX_RPS. No lookups at all: CADF_KEYSTONE_URL is not set (names then come from events only).', [{ expr: `sum by (result) (rate(${sel('cadf_exporter_name_lookups_total')}[$__rate_interval]))`, legend: '{{result}}' }], { unit: 'suffix: /s', style: 'stacked-bars' }), w: 8 },
  );
  b.line(
    { ...series('Shared name store', 'Per replica: 1 while the shared name store (CADF_ENRICH_STORE_URL) answers. No series: no store configured, each replica names only what it saw (docs/names.md). 0: names learned wait in memory and are written once it is back (alert CadfExporterNameStoreDown).', [{ expr: `max by (instance, store) (${sel('cadf_exporter_name_store_up')})`, legend: '{{instance}} {{store}}' }], { unit: 'none', min: 0, max: 1 }), w: 8 },
    { ...series('Names waiting for the store', 'Names learned and not yet written to the shared store, and store errors by operation. Waiting names grow only while the store is down; migrate errors at start mean a wrong URL, password or grant.', [
      { expr: `sum by (instance) (${sel('cadf_exporter_name_store_pending_names')})`, legend: 'waiting {{instance}}' },
      { expr: `sum by (op) (rate(${sel('cadf_exporter_name_store_errors_total')}[$__rate_interval]))`, legend: 'errors/s {{op}}' },
    ]), w: 8 },
    { ...series('Unnamed deletions', 'Deletion records that went out with only the id, by kind, per interval: no event, store or Keystone listing taught the name in time. Set CADF_KEYSTONE_URL (the listing names objects older than the exporter) and a shared store with several replicas.', [{ expr: `sum by (kind) (increase(${sel('cadf_exporter_unnamed_deletions_total')}[$__rate_interval]))`, legend: '{{kind}}' }], { style: 'stacked-bars' }), w: 8 },
  );
  b.line({
    type: 'table',
    title: 'Versions',
    description: 'Which exporter version runs on which Node.js, per instance. Instances on different versions during a rollout are expected; for longer, finish the rollout.',
    w: 24,
    h: 5,
    ds: PROM,
    queries: [{ expr: sel('cadf_exporter_build_info'), instant: true, format: 'table' }],
    transformations: [
      { id: 'filterFieldsByName', options: { include: { names: ['instance', 'job', 'cloud_region', 'version', 'nodejs'] } } },
      { id: 'organize', options: { indexByName: { instance: 0, job: 1, cloud_region: 2, version: 3, nodejs: 4 }, renameByName: { nodejs: 'Node.js' }, excludeByName: {} } },
    ],
  });
  return b.build({
    uid: 'cadf-exporter-health',
    title: 'cadf-exporter health',
    description: 'The exporter itself: RabbitMQ connection, messages in, records out, export failures, dead letters, lag, memory and CPU.',
    tags: ['cadf', 'exporter'],
    variables: [VARIABLES.prometheus, VARIABLES.job, VARIABLES.instance],
    links: dashboardLinks(),
  });
}
