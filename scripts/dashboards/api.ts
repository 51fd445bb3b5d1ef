/** Dashboard 2: every audited REST call of every service (keystonemiddleware's audit filter). */
import { DashboardBuilder, LOKI, PROM, VARIABLES, logTable, outcomeColors, type JsonObject, type PanelSpec } from './grafana.js';
import { dashboardLinks } from './identity.js';

const M = 'job=~"$job", cloud_region=~"$cloud_region"';
const REQ = `cadf_api_requests_total{${M}}`;
const DUR = `cadf_api_request_duration_seconds_bucket{${M}}`;
const SEL = '{service_name="$service_name", cloud_region=~"$cloud_region"}';

const NOTHING =
  'Nothing at all: the services have no audit filter (add keystonemiddleware\'s "audit" after "authtoken" in their paste pipeline with ' +
  '[audit_middleware_notifications] driver = messagingv2), or the exporter is not bound to their control_exchange (nova, cinder, ... or openstack: CADF_AMQP_EXCHANGES).';

function stat(title: string, expr: string, description: string, extra: Partial<PanelSpec> = {}): PanelSpec {
  return { type: 'stat', title, description, w: 6, h: 4, ds: PROM, queries: [{ expr, instant: true }], unit: 'short', ...extra };
}

export function apiDashboard(): JsonObject {
  const b = new DashboardBuilder();
  b.row('Requests', 'API calls counted once per call, at the audit response (cadf_api_requests_total).');
  b.line(
    stat('API calls per second', `sum(rate(${REQ}[$__rate_interval]))`, `Audited API calls per second, all services. ${NOTHING}`, { unit: 'reqps', decimals: 1, options: { graphMode: 'area' } }),
    stat('Failed calls (4xx)', `sum(rate(cadf_api_requests_total{${M}, outcome="failure"}[$__rate_interval])) / sum(rate(${REQ}[$__rate_interval]))`, 'Share of calls answered with an error status (outcome failure: 4xx, and 5xx the service returned itself). 403s are policy refusals, 404s mostly clients racing deletions; which service: "Error ratio by service".', { unit: 'percentunit', decimals: 1, noValue: '-', thresholds: [{ color: 'orange', value: 0.1 }, { color: 'red', value: 0.25 }] }),
    stat('Raised in the service', `sum(rate(cadf_api_requests_total{${M}, outcome="unknown"}[$__rate_interval])) / sum(rate(${REQ}[$__rate_interval]))`, 'Share of calls where the service raised an exception (audit outcome unknown: the client got a 500). Anything above 0 is a bug or an outage of that service: read its log for the request id in the Loki record (openstack_request_id).', { unit: 'percentunit', decimals: 2, noValue: '-', thresholds: [{ color: 'red', value: 0.001 }] }),
    stat('Latency p90', `histogram_quantile(0.9, sum by (le) (rate(${DUR}[$__rate_interval])))`, 'Time within which 90% of the calls were answered, as the audit middleware saw it (response reporterTime minus request eventTime; it does not include the time before the middleware). Known only for calls with an audit response.', { unit: 's', decimals: 2, noValue: '-', thresholds: [{ color: 'orange', value: 1 }, { color: 'red', value: 5 }] }),
  );
  b.line(
    {
      type: 'timeseries',
      title: 'Requests by service and outcome',
      description: `API calls per second by service (from the audit target type: compute, image, network...) and outcome. A service called "unknown" has a target type the audit map does not cover: its calls are still counted. ${NOTHING}`,
      w: 12,
      h: 8,
      ds: PROM,
      queries: [{ expr: `sum by (service, outcome) (rate(${REQ}[$__rate_interval]))`, legend: '{{service}} {{outcome}}' }],
      unit: 'reqps',
      style: 'stacked-lines',
      overrides: outcomeColors(true),
    },
    {
      type: 'timeseries',
      title: 'Error ratio by service',
      description: 'Per service, the share of calls that did not succeed (outcome failure or unknown). A steady 403 or 404 share is normal for some clients; a step up after a deployment or a policy change is not: see "Latest failed API calls" for who and which path.',
      w: 12,
      h: 8,
      ds: PROM,
      queries: [{ expr: `sum by (service) (rate(cadf_api_requests_total{${M}, outcome!="success"}[$__rate_interval])) / sum by (service) (rate(${REQ}[$__rate_interval]))`, legend: '{{service}}' }],
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: [{ color: 'orange', value: 0.1 }, { color: 'red', value: 0.25 }],
      thresholdLines: true,
    },
  );
  b.line(
    {
      type: 'timeseries',
      title: 'Requests by action',
      description: 'API calls per second by CADF action (create, read, read/list, update, delete...). Deletes and updates are the ones to audit; a jump in read/list is often a dashboard or a script polling.',
      w: 12,
      h: 8,
      ds: PROM,
      queries: [{ expr: `sum by (action) (rate(${REQ}[$__rate_interval]))`, legend: '{{action}}' }],
      unit: 'reqps',
      style: 'stacked-bars',
    },
    {
      type: 'timeseries',
      title: 'Latency by service (p50, p90)',
      description: 'How long calls took per service (audit response time minus request time). Known only where the audit middleware sends responses; no line for a service: its calls carry no duration. Slow creates (servers, volumes, image uploads) are normal; slow reads and lists are not.',
      w: 12,
      h: 8,
      ds: PROM,
      queries: [
        { expr: `histogram_quantile(0.9, sum by (service, le) (rate(${DUR}[$__rate_interval])))`, legend: '{{service}} p90' },
        { expr: `histogram_quantile(0.5, sum by (service, le) (rate(${DUR}[$__rate_interval])))`, legend: '{{service}} p50' },
      ],
      unit: 's',
    },
  );
  b.line({
    type: 'heatmap',
    title: 'Latency distribution',
    description: 'How many calls took how long (all services), per rate interval: one band is healthy; a second band far above it is a slow dependency (database, message queue, storage backend).',
    w: 24,
    h: 7,
    ds: PROM,
    queries: [{ expr: `sum by (le) (increase(${DUR}[$__rate_interval]))`, legend: '{{le}}', format: 'heatmap' }],
    unit: 's',
  });

  b.row('Audit log (Loki)', 'The audit response records: who called which path, from where, with which status.');
  b.line(
    {
      type: 'bargauge',
      title: 'Top paths',
      description: 'The most called paths in the time range, by service. Paths carry object ids (/v2.1/servers/<id>), so this is per object: the "Requests by action" panel counts per kind of call. Empty while the metrics count calls: check the Loki datasource and the service_name variable.',
      w: 12,
      h: 10,
      ds: LOKI,
      queries: [{ expr: `topk(15, sum by (openstack_service, url_path) (count_over_time(${SEL} | event_name="audit.http.response" [$__range])))`, legend: '{{openstack_service}} {{url_path}}', instant: true }],
      unit: 'short',
      decimals: 0,
      color: 'blue',
    },
    {
      type: 'bargauge',
      title: 'Callers with the most failed calls',
      description: 'Users and addresses with the most failed API calls in the time range. One caller with many 403s is probing or misconfigured; many 404s are usually a script working on deleted objects.',
      w: 12,
      h: 10,
      ds: LOKI,
      queries: [{ expr: `topk(10, sum by (user_name, client_address) (count_over_time(${SEL} | event_name="audit.http.response" | cadf_outcome!="success" [$__range])))`, legend: '{{user_name}} from {{client_address}}', instant: true }],
      unit: 'short',
      decimals: 0,
      color: 'red',
    },
  );
  b.line({
    type: 'timeseries',
    title: 'Responses by HTTP status',
    description: 'Audited API responses by HTTP status code, from the Loki records. Responses without a status are calls where the service raised (outcome unknown).',
    w: 24,
    h: 7,
    ds: LOKI,
    queries: [{ expr: `sum by (http_response_status_code) (count_over_time(${SEL} | event_name="audit.http.response" [$__auto]))`, legend: '{{http_response_status_code}}' }],
    unit: 'short',
    style: 'stacked-bars',
  });
  const failed = logTable([
    ['openstack_service', 'Service'],
    ['cadf_action', 'Action'],
    ['url_path', 'Path'],
    ['http_response_status_code', 'Status'],
    ['cadf_outcome', 'Outcome'],
    ['user_name', 'User'],
    ['client_address', 'From'],
    ['openstack_project_id', 'Project'],
    ['openstack_request_id', 'Request id'],
  ]);
  b.line({
    type: 'table',
    title: 'Latest failed API calls',
    description: 'The latest API calls that failed (4xx/5xx) or raised (outcome unknown, no status), newest first. The request id finds the call in the service\'s own log.',
    w: 24,
    h: 10,
    ds: LOKI,
    queries: [{ expr: `${SEL} | event_name="audit.http.response" | cadf_outcome!="success"`, maxLines: 200 }],
    ...failed,
  });
  return b.build({
    uid: 'cadf-api-audit',
    title: 'OpenStack API audit',
    description: 'REST calls of every audited OpenStack service (keystonemiddleware audit), from CADF notifications (cadf-exporter).',
    tags: ['openstack', 'api', 'audit', 'cadf'],
    variables: [VARIABLES.prometheus, VARIABLES.loki, VARIABLES.job, VARIABLES.cloudRegion, VARIABLES.serviceName],
    links: dashboardLinks(),
  });
}
