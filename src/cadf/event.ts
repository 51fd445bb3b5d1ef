import type { Classification } from './classify.js';
import { redactQuery } from './query.js';
import type { OsloNotification } from './envelope.js';
import type { BasicEvent, CadfEvent, CadfResource, Outcome } from './model.js';
import { serviceOf } from './service.js';
import { formatTime, otlpRepresentable, parseTime, secondsBetween, type HrTime } from './time.js';

/** An id with the name it is known by. `name` is filled from the event or by enrichment. */
export interface Ref {
  id?: string;
  name?: string;
}

/** Who did it: the user behind the initiator, and the scope and place they acted from. */
export interface Actor extends Ref {
  /** The CADF initiator id: the user's id, or a random id for unknown and federated users. */
  readonly initiatorId?: string;
  readonly domain: Ref;
  readonly project: Ref;
  readonly address?: string;
  readonly agent?: string;
  readonly requestId?: string;
  readonly globalRequestId?: string;
  /** Keystone federation: the identity provider of a federated login. */
  readonly identityProvider?: string;
}

export interface ResourceRef extends Ref {
  readonly type: string;
  readonly rawType: string;
  readonly operation: string;
}

export interface Assignment {
  readonly role?: Ref;
  readonly user?: Ref;
  readonly group?: Ref;
  readonly project?: Ref;
  readonly domain?: Ref;
  readonly inherited?: boolean;
}

export interface ApiCall {
  readonly service: string;
  readonly phase: 'request' | 'response' | 'single';
  readonly path?: string;
  readonly query?: string;
  readonly statusCode?: number;
  /** Response time minus request time, in seconds, when the response says so. */
  readonly durationSeconds?: number;
}

/** Where a message came from, as far as the source knows. */
export interface SourceMeta {
  readonly exchange?: string;
  readonly routingKey?: string;
}

/**
 * The envelope fields an event keeps. Not the raw payload or context: holding on to the parsed
 * JSON tree until the batch is exported made every message's tree survive young-generation GCs.
 */
export type NotificationInfo = Omit<OsloNotification, 'payload' | 'context'>;

/**
 * One decoded notification, normalised across producers and releases. The record and metric
 * mappings read only this; enrichment fills in names.
 */
export interface AuditEvent {
  readonly notification: NotificationInfo;
  readonly payload: CadfEvent | BasicEvent;
  readonly classification: Classification;
  readonly exchange?: string;
  /** eventTime, else the envelope timestamp; undefined when neither is usable. */
  readonly time: HrTime | undefined;
  /**
   * The producer's time text when it lies outside what OTLP can carry (before 1970, after 2554):
   * the record then takes the observed time and keeps this as `cadf.event_time.original`.
   */
  readonly timeOutOfRange?: string;
  /** Undefined for Keystone's basic format, which Keystone only sends on success. */
  readonly outcome: Outcome | undefined;
  readonly actor: Actor | undefined;
  readonly resource?: ResourceRef;
  readonly assignment?: Assignment;
  readonly api?: ApiCall;
  /** The project and domain the target belongs to (or is), when the event says. */
  readonly targetScope: { readonly project: Ref; readonly domain: Ref };
  readonly federated: boolean;
}

const KEYSTONE_ID = /^[0-9a-f]{32}$/;
const UNKNOWN = 'unknown';

export function buildEvent(
  n: OsloNotification,
  payload: CadfEvent | BasicEvent,
  classification: Classification,
  meta: SourceMeta | undefined,
): AuditEvent {
  const cadf = payload.format === 'cadf' ? payload : undefined;
  const isApi = classification.category === 'api';
  const actor = cadf?.initiator ? buildActor(cadf.initiator, isApi) : undefined;
  const parsed = cadf?.eventTime ?? (n.timestamp !== undefined ? parseTime(n.timestamp) : undefined);
  // One event dated 1969 must cost that record nothing but its timestamp (issue 10): clamp it to
  // the observed time here, in the core, rather than let an encoder fail on it downstream.
  const time = parsed !== undefined && otlpRepresentable(parsed) ? parsed : undefined;
  const timeOutOfRange = parsed !== undefined && time === undefined ? formatTime(parsed) : undefined;
  return {
    notification: {
      envelope: n.envelope,
      messageId: n.messageId,
      uniqueId: n.uniqueId,
      publisherId: n.publisherId,
      eventType: n.eventType,
      priority: n.priority,
      timestamp: n.timestamp,
    },
    payload,
    classification,
    exchange: meta?.exchange,
    time,
    ...(timeOutOfRange !== undefined ? { timeOutOfRange } : {}),
    outcome: cadf?.outcome,
    actor:
      actor ??
      (payload.format === 'basic' && payload.requestId !== undefined
        ? { domain: {}, project: {}, requestId: payload.requestId, globalRequestId: payload.globalRequestId }
        : undefined),
    resource: classification.category === 'identity' ? buildResource(classification, payload) : undefined,
    assignment: cadf?.assignment ? buildAssignment(cadf.assignment) : undefined,
    api: cadf && isApi ? buildApi(cadf, classification.phase, meta?.exchange) : undefined,
    targetScope: buildTargetScope(cadf, classification, payload),
    federated: cadf?.initiator?.credential?.identityProvider !== undefined,
  };
}

function buildActor(i: CadfResource, isApi: boolean): Actor {
  const cred = i.credential;
  const fedUser = cred?.identityProvider !== undefined ? known(cred.user) : undefined;
  // Keystone's initiator.id is the user id only for known local users; for unknown names and
  // federated logins it is a random dashed UUID. keystonemiddleware puts X-User-Id or "unknown".
  const id =
    i.userId ?? fedUser ?? (isApi ? known(i.id) : i.id !== undefined && KEYSTONE_ID.test(i.id) ? i.id : undefined);
  return {
    id,
    name: known(i.name) ?? known(i.username),
    initiatorId: i.id,
    domain: { id: i.domainId, name: i.domainName },
    project: { id: known(i.projectId) },
    address: i.host?.address,
    agent: i.host?.agent,
    requestId: i.requestId,
    globalRequestId: i.globalRequestId,
    identityProvider: cred?.identityProvider,
  };
}

/**
 * Whose object the target is: SAP's `target.project_id` / `domain_id`, the project or domain a
 * role was granted on, or the project or domain created, updated or deleted.
 */
function buildTargetScope(
  cadf: CadfEvent | undefined,
  c: Classification,
  payload: CadfEvent | BasicEvent,
): AuditEvent['targetScope'] {
  const kind = c.category === 'identity' ? c.resourceType : undefined;
  const own = kind === 'project' || kind === 'domain' ? (payload.resourceInfo ?? cadf?.target?.id) : undefined;
  const project = known(cadf?.target?.projectId) ?? cadf?.assignment?.project ?? (kind === 'project' ? own : undefined);
  const domain = known(cadf?.target?.domainId) ?? cadf?.assignment?.domain ?? (kind === 'domain' ? own : undefined);
  return { project: { id: project }, domain: { id: domain } };
}

function buildResource(
  c: Extract<Classification, { category: 'identity' }>,
  payload: CadfEvent | BasicEvent,
): ResourceRef {
  // target.id of a role assignment is random: the subject is in the assignment keys instead.
  const id =
    payload.resourceInfo ??
    (payload.format === 'cadf' && c.resourceType !== 'role_assignment' ? payload.target?.id : undefined);
  return { type: c.resourceType, rawType: c.rawResourceType, operation: c.operation, id };
}

function buildAssignment(a: NonNullable<CadfEvent['assignment']>): Assignment {
  return {
    role: a.role !== undefined ? { id: a.role } : undefined,
    user: a.user !== undefined ? { id: a.user } : undefined,
    group: a.group !== undefined ? { id: a.group } : undefined,
    project: a.project !== undefined ? { id: a.project } : undefined,
    domain: a.domain !== undefined ? { id: a.domain } : undefined,
    inherited: a.inheritedToProjects,
  };
}

function buildApi(
  e: CadfEvent,
  phase: ApiCall['phase'],
  exchange: string | undefined,
): ApiCall {
  let path = e.requestPath;
  let query: string | undefined;
  if (path !== undefined) {
    const q = path.indexOf('?');
    if (q >= 0) {
      query = redactQuery(path.slice(q + 1));
      path = path.slice(0, q);
    }
  }
  let statusCode: number | undefined;
  if (phase !== 'request' && e.reason?.reasonType === 'HTTP') {
    const code = Number(e.reason.reasonCode);
    if (Number.isInteger(code) && code >= 100 && code <= 599) statusCode = code;
  }
  // Rounded to the microsecond the timestamps carry, so float noise never reaches a record.
  const durationSeconds =
    e.reporterTime !== undefined
      ? Math.max(0, Math.round(secondsBetween(e.eventTime, e.reporterTime) * 1e6) / 1e6)
      : undefined;
  return {
    service: serviceOf(e.target?.typeURI, e.target?.name, exchange, e.observer?.typeURI),
    phase,
    path,
    query,
    statusCode,
    durationSeconds,
  };
}

/** keystonemiddleware writes the string "unknown" where it has no value. */
function known(v: string | undefined): string | undefined {
  return v === undefined || v === UNKNOWN || v === '' ? undefined : v;
}
