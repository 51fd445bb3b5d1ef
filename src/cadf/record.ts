import { ATTR, type Attributes } from './attributes.js';
import { renderBody } from './body.js';
import type { AuditEvent, Ref } from './event.js';
import type { HrTime } from './time.js';

/** What a sink needs to emit one OpenTelemetry log record. */
export interface LogRecordData {
  /** The oslo event_type (`identity.user.deleted`). */
  readonly eventName: string;
  /** CADF eventTime (or the envelope timestamp); undefined = use the observed time. */
  readonly timestamp: HrTime | undefined;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: string;
  readonly attributes: Attributes;
}

// OpenTelemetry SeverityNumber values (logs data model).
const DEBUG = 5;
const INFO = 9;
const WARN = 13;
const ERROR = 17;
const FATAL = 21;

const PRIORITY: ReadonlyMap<string, number> = new Map([
  ['DEBUG', DEBUG],
  ['INFO', INFO],
  ['AUDIT', INFO],
  ['SAMPLE', INFO],
  ['WARN', WARN],
  ['WARNING', WARN],
  ['ERROR', ERROR],
  ['CRITICAL', FATAL],
]);

const SEVERITY_TEXT: ReadonlyMap<number, string> = new Map([
  [DEBUG, 'DEBUG'],
  [INFO, 'INFO'],
  [WARN, 'WARN'],
  [ERROR, 'ERROR'],
  [FATAL, 'FATAL'],
]);

export function toRecord(ev: AuditEvent): LogRecordData {
  const severityNumber = severityOf(ev);
  return {
    eventName: ev.notification.eventType,
    timestamp: ev.time,
    severityNumber,
    severityText: SEVERITY_TEXT.get(severityNumber) ?? 'INFO',
    body: renderBody(ev),
    attributes: attributesOf(ev),
  };
}

/** The oslo priority, raised by what happened: a failure is at least WARN, a server error ERROR. */
export function severityOf(ev: AuditEvent): number {
  let s = PRIORITY.get(ev.notification.priority) ?? INFO;
  const status = ev.api?.statusCode;
  if (ev.outcome === 'failure') s = Math.max(s, WARN);
  if ((status !== undefined && status >= 500) || (ev.outcome === 'unknown' && ev.api !== undefined)) {
    s = Math.max(s, ERROR);
  }
  // Keystone's password-policy rejections are outcome "success" with reason 400.
  const p = ev.payload;
  if (ev.outcome === 'success' && p.format === 'cadf' && Number(p.reason?.reasonCode) >= 400) {
    s = Math.max(s, WARN);
  }
  return s;
}

export function attributesOf(ev: AuditEvent): Attributes {
  const a: Attributes = {};
  const n = ev.notification;
  const p = ev.payload;
  put(a, ATTR.LOG_RECORD_UID, n.messageId ?? n.uniqueId);
  a[ATTR.EVENT_CATEGORY] = ev.classification.category;
  a[ATTR.CADF_FORMAT] = p.format;
  put(a, ATTR.EVENT_TIME_ORIGINAL, ev.timeOutOfRange);
  put(a, ATTR.PUBLISHER_ID, n.publisherId);
  put(a, ATTR.EXCHANGE, ev.exchange);

  if (p.format === 'cadf') {
    a[ATTR.CADF_EVENT_ID] = p.id;
    put(a, ATTR.CADF_EVENT_TYPE, p.eventType);
    a[ATTR.CADF_ACTION] = p.action;
    a[ATTR.CADF_OUTCOME] = p.outcome;
    if (p.reason !== undefined) {
      put(a, ATTR.CADF_REASON_TYPE, p.reason.reasonType);
      put(a, ATTR.CADF_REASON_CODE, p.reason.reasonCode);
      put(a, ATTR.CADF_REASON_POLICY_TYPE, p.reason.policyType);
      put(a, ATTR.CADF_REASON_POLICY_ID, p.reason.policyId);
    }
    const i = p.initiator;
    if (i !== undefined) {
      put(a, ATTR.CADF_INITIATOR_ID, i.id);
      put(a, ATTR.CADF_INITIATOR_TYPE_URI, i.typeURI);
      put(a, ATTR.CADF_INITIATOR_IDENTITY_STATUS, i.credential?.identityStatus);
    }
    put(a, ATTR.CADF_TARGET_ID, p.target?.id);
    put(a, ATTR.CADF_TARGET_TYPE_URI, p.target?.typeURI);
    put(a, ATTR.CADF_TARGET_NAME, p.target?.name);
    put(a, ATTR.CADF_OBSERVER_ID, p.observer?.id);
    put(a, ATTR.CADF_OBSERVER_TYPE_URI, p.observer?.typeURI);
    if (p.tags.length > 0) {
      a[ATTR.CADF_TAGS] = [...p.tags];
      const corr = correlationId(p.tags);
      put(a, ATTR.CORRELATION_ID, corr);
    }
    if (p.attachments.length > 0) {
      a[ATTR.CADF_ATTACHMENT_NAMES] = p.attachments.map((x) => x.name ?? x.typeURI ?? 'unnamed');
    }
    if (p.measurementCount > 0) a[ATTR.CADF_MEASUREMENT_COUNT] = p.measurementCount;
  }

  const actor = ev.actor;
  if (actor !== undefined) {
    put(a, ATTR.USER_ID, actor.id);
    put(a, ATTR.USER_NAME, actor.name);
    put(a, ATTR.CLIENT_ADDRESS, actor.address);
    put(a, ATTR.USER_AGENT_ORIGINAL, actor.agent);
    put(a, ATTR.REQUEST_ID, actor.requestId);
    put(a, ATTR.GLOBAL_REQUEST_ID, actor.globalRequestId);
    put(a, ATTR.PROJECT_ID, actor.project.id);
    put(a, ATTR.PROJECT_NAME, actor.project.name);
    put(a, ATTR.DOMAIN_ID, actor.domain.id);
    put(a, ATTR.DOMAIN_NAME, actor.domain.name);
    put(a, ATTR.IDENTITY_PROVIDER, actor.identityProvider);
  }
  if (p.format === 'cadf') put(a, ATTR.APPLICATION_CREDENTIAL_ID, p.initiator?.applicationCredentialId);
  const ts = ev.targetScope;
  putRef(a, ATTR.TARGET_PROJECT_ID, ATTR.TARGET_PROJECT_NAME, ts.project);
  putRef(a, ATTR.TARGET_DOMAIN_ID, ATTR.TARGET_DOMAIN_NAME, ts.domain);
  const tenants = tenantIds(ev);
  if (tenants.length > 0) a[ATTR.TENANT_IDS] = tenants;
  if (ev.classification.category === 'authentication') {
    a[ATTR.AUTH_METHOD] = ev.federated ? 'federated' : 'password';
  }

  const r = ev.resource;
  if (r !== undefined) {
    a[ATTR.RESOURCE_TYPE] = r.type;
    a[ATTR.RESOURCE_OPERATION] = r.operation;
    put(a, ATTR.RESOURCE_ID, r.id);
    put(a, ATTR.RESOURCE_NAME, r.name);
  }
  if (p.format === 'basic' && p.actor !== undefined) {
    put(a, ATTR.ACTOR_ID, p.actor.id);
    put(a, ATTR.ACTOR_TYPE, p.actor.type);
    put(a, ATTR.ACTOR_OPERATION, p.actor.operation);
  }

  const g = ev.assignment;
  if (g !== undefined) {
    putRef(a, ATTR.ROLE_ID, ATTR.ROLE_NAME, g.role);
    putRef(a, ATTR.ASSIGNMENT_USER_ID, ATTR.ASSIGNMENT_USER_NAME, g.user);
    putRef(a, ATTR.ASSIGNMENT_GROUP_ID, ATTR.ASSIGNMENT_GROUP_NAME, g.group);
    putRef(a, ATTR.ASSIGNMENT_PROJECT_ID, ATTR.ASSIGNMENT_PROJECT_NAME, g.project);
    putRef(a, ATTR.ASSIGNMENT_DOMAIN_ID, ATTR.ASSIGNMENT_DOMAIN_NAME, g.domain);
    if (g.inherited !== undefined) a[ATTR.ASSIGNMENT_INHERITED] = g.inherited;
  }

  const api = ev.api;
  if (api !== undefined) {
    a[ATTR.SERVICE] = api.service;
    a[ATTR.API_PHASE] = api.phase;
    put(a, ATTR.URL_PATH, api.path);
    put(a, ATTR.URL_QUERY, api.query);
    if (api.statusCode !== undefined) a[ATTR.HTTP_RESPONSE_STATUS_CODE] = api.statusCode;
    if (api.durationSeconds !== undefined) a[ATTR.API_DURATION] = api.durationSeconds;
  }
  return a;
}

function put(a: Attributes, key: string, value: string | undefined): void {
  if (value !== undefined && value !== '') a[key] = value;
}

function putRef(a: Attributes, idKey: string, nameKey: string, r: Ref | undefined): void {
  if (r === undefined) return;
  put(a, idKey, r.id);
  put(a, nameKey, r.name);
}

/**
 * The tenants an event concerns, as Hermes builds them: the initiator's project, else the
 * target's project, else the initiator's domain; then the target's project (or else domain) if
 * different. Only ids the event carries: never an invented `default`.
 */
export function tenantIds(ev: AuditEvent): string[] {
  const ts = ev.targetScope;
  const first = ev.actor?.project.id ?? ts.project.id ?? ev.actor?.domain.id;
  const second = ts.project.id ?? ts.domain.id;
  const out: string[] = [];
  for (const id of [first, second]) if (id !== undefined && id !== '' && !out.includes(id)) out.push(id);
  return out;
}

/** keystonemiddleware tags each pair `correlation_id?value=<uuid>`. */
function correlationId(tags: readonly string[]): string | undefined {
  for (const t of tags) {
    if (t.startsWith('correlation_id?value=')) return t.slice('correlation_id?value='.length);
  }
  return undefined;
}
