import { ATTR, formatTime, type LogRecordData } from '../../cadf/index.js';
import type { NotifyRule } from './rules.js';

/** One alert as Alertmanager's v2 API takes it (POST /api/v2/alerts, a JSON array of these). */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
}

export interface AlertContext {
  /** `cloud.region` of the exporter's resource attributes; '' when it has none. */
  readonly region: string;
  /** How long Alertmanager keeps an event's alert firing before it is resolved, in seconds. */
  readonly resolveAfterSeconds: number;
  readonly nowMs: number;
}

/**
 * The alert for one record that matched one rule. Labels route and group (low cardinality, plus
 * `record_uid` so that two deletions in one window are two alerts and not one overwritten);
 * annotations are for the person reading the notification. Alertmanager label names must match
 * [a-zA-Z_][a-zA-Z0-9_]*, hence `cloud_region` for `cloud.region`.
 */
export function buildAlert(rule: NotifyRule, r: LogRecordData, ctx: AlertContext): PostableAlert {
  const a = r.attributes;
  const s = (k: string): string | undefined => (typeof a[k] === 'string' && a[k] !== '' ? (a[k]) : undefined);
  const uid = s(ATTR.LOG_RECORD_UID);
  const labels: Record<string, string> = { alertname: rule.name, severity: rule.severity, event: r.eventName };
  const type = s(ATTR.RESOURCE_TYPE);
  if (type !== undefined) labels.resource_type = type;
  if (ctx.region !== '') labels.cloud_region = ctx.region;
  if (uid !== undefined) labels.record_uid = uid;

  const when = r.timestamp !== undefined ? formatTime(r.timestamp) : new Date(ctx.nowMs).toISOString();
  const annotations: Record<string, string> = {
    summary: rule.summary ?? r.eventName,
    description: r.body,
    who: who(s(ATTR.USER_NAME), s(ATTR.USER_ID)),
    when,
  };
  const from = s(ATTR.CLIENT_ADDRESS);
  if (from !== undefined) annotations.from = from;
  const project = s(ATTR.PROJECT_NAME) ?? s(ATTR.PROJECT_ID);
  if (project !== undefined) annotations.project = project;
  if (uid !== undefined) {
    annotations.log_record_uid = uid;
    // Loki keeps OTLP attributes as structured metadata with dots turned into underscores.
    annotations.loki_query = `{service_name=~".+"} | log_record_uid="${uid}"`;
  }
  // Alertmanager resolves an alert at endsAt; counted from now, not from the event, so a late
  // event (a backlog drained after an outage) still fires instead of arriving resolved.
  const endsAt = new Date(ctx.nowMs + ctx.resolveAfterSeconds * 1000).toISOString();
  const startsAt = Date.parse(when) <= ctx.nowMs ? when : new Date(ctx.nowMs).toISOString();
  return { labels, annotations, startsAt, endsAt };
}

function who(name: string | undefined, id: string | undefined): string {
  if (name !== undefined && id !== undefined && name !== id) return `${name} (${id})`;
  return name ?? id ?? 'unknown';
}
