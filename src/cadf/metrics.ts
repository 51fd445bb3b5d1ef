import { KNOWN_OPERATIONS, KNOWN_RESOURCE_TYPES } from './classify.js';
import type { AuditEvent } from './event.js';

/**
 * The metric updates an event implies. The core decides them so the Prometheus sink stays a thin
 * loop; every label value comes from a closed set (no user, project or resource ids, ever).
 */
export interface MetricSample {
  readonly name: MetricName;
  readonly labels: Readonly<Record<string, string>>;
  /** Histograms: the observed value. Counters: absent, meaning +1. */
  readonly value?: number;
}

export const EVENT_METRICS = {
  events: {
    name: 'cadf_events_total',
    help: 'Decoded CADF notifications by category (authentication, identity, api, other) and outcome.',
    labelNames: ['category', 'outcome'],
  },
  authentications: {
    name: 'cadf_authentications_total',
    help: 'Keystone identity.authenticate events by outcome, method (password or federated) and reason code.',
    labelNames: ['outcome', 'method', 'reason_code'],
  },
  identityOperations: {
    name: 'cadf_identity_operations_total',
    help: 'Keystone identity resource operations (identity.<resource>.<operation>) by resource type, operation and outcome.',
    labelNames: ['resource_type', 'operation', 'outcome'],
  },
  apiRequests: {
    name: 'cadf_api_requests_total',
    help: 'API calls audited by keystonemiddleware, counted once (at the response), by service, action and outcome.',
    labelNames: ['service', 'action', 'outcome'],
  },
  apiDuration: {
    name: 'cadf_api_request_duration_seconds',
    help: 'API call duration seen by the audit middleware (response reporterTime minus request eventTime).',
    labelNames: ['service'],
  },
} as const;

export type MetricName = (typeof EVENT_METRICS)[keyof typeof EVENT_METRICS]['name'];

/** pycadf ACTION_TAXONOMY: actions are `<word>` or `<word>/<detail>` (`update/os-stop`). */
const ACTIONS: ReadonlySet<string> = new Set(
  (
    'backup capture create configure read read/list update delete monitor start stop deploy ' +
    'undeploy enable disable send receive authenticate authenticate/login revoke renew restore ' +
    'evaluate allow deny notify unknown'
  ).split(' '),
);

export function metricsOf(ev: AuditEvent): MetricSample[] {
  // Keystone sends basic-format notifications only for operations that succeeded.
  const outcome = ev.outcome ?? 'success';
  const c = ev.classification;
  const out: MetricSample[] = [
    { name: 'cadf_events_total', labels: { category: c.category, outcome } },
  ];
  switch (c.category) {
    case 'authentication':
      out.push({
        name: 'cadf_authentications_total',
        labels: { outcome, method: ev.federated ? 'federated' : 'password', reason_code: reasonLabel(ev) },
      });
      break;
    case 'identity':
      out.push({
        name: 'cadf_identity_operations_total',
        labels: {
          resource_type: KNOWN_RESOURCE_TYPES.has(c.resourceType) ? c.resourceType : 'other',
          operation: KNOWN_OPERATIONS.has(c.operation) ? c.operation : 'other',
          outcome,
        },
      });
      break;
    case 'api': {
      const api = ev.api;
      // Count each call once: at its response (request and response share one CADF id).
      if (api === undefined || c.phase === 'request') break;
      const p = ev.payload;
      out.push({
        name: 'cadf_api_requests_total',
        labels: { service: api.service, action: actionLabel(p.format === 'cadf' ? p.action : ''), outcome },
      });
      if (api.durationSeconds !== undefined) {
        out.push({
          name: 'cadf_api_request_duration_seconds',
          labels: { service: api.service },
          value: api.durationSeconds,
        });
      }
      break;
    }
    case 'other':
      break;
  }
  return out;
}

/** `update/os-stop` -> `update`; `read/list` stays; anything outside the taxonomy -> `other`. */
export function actionLabel(action: string): string {
  if (ACTIONS.has(action)) return action;
  const slash = action.indexOf('/');
  const head = slash > 0 ? action.slice(0, slash) : action;
  return ACTIONS.has(head) ? head : 'other';
}

/** An HTTP-like reason code (`401`, `404`), `none`, or `other`: bounded. */
function reasonLabel(ev: AuditEvent): string {
  const p = ev.payload;
  const code = p.format === 'cadf' ? p.reason?.reasonCode : undefined;
  if (code === undefined || code === '') return 'none';
  return /^[1-5]\d\d$/.test(code) ? code : 'other';
}
