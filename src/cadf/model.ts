import { decodeError, describe, type DecodeError } from './errors.js';
import { isObject, optString } from './envelope.js';
import { parseTime, type HrTime } from './time.js';

/** pycadf's closed set of outcomes (cadftaxonomy.OUTCOME_TAXONOMY). */
export const OUTCOMES = ['success', 'failure', 'pending', 'unknown'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface CadfHost {
  readonly address?: string;
  readonly agent?: string;
}

export interface CadfCredential {
  readonly type?: string;
  /** Always masked by pycadf (`gG1d xxxxxxxx W1iw`); kept out of attributes. */
  readonly identityStatus?: string;
  /** Keystone federation: the identity provider id, the shadow user id (or "unknown") and groups. */
  readonly identityProvider?: string;
  readonly user?: string;
  readonly groups?: readonly string[];
}

/** A CADF resource (initiator, target, observer) with the extension keys OpenStack adds. */
export interface CadfResource {
  readonly id?: string;
  readonly typeURI?: string;
  readonly name?: string;
  /** Keystone >= Ussuri `username`, or `user_name` for failed logins of unknown users. */
  readonly username?: string;
  readonly userId?: string;
  readonly projectId?: string;
  readonly domainId?: string;
  readonly domainName?: string;
  /** SAP's audit middleware: the application credential the token came from. */
  readonly applicationCredentialId?: string;
  readonly requestId?: string;
  readonly globalRequestId?: string;
  readonly host?: CadfHost;
  readonly credential?: CadfCredential;
}

export interface CadfReason {
  readonly reasonType?: string;
  readonly reasonCode?: string;
  readonly policyType?: string;
  readonly policyId?: string;
}

/** Keystone's extra keys on identity.role_assignment.* events: the real subject of the grant. */
export interface RoleAssignment {
  readonly role?: string;
  readonly user?: string;
  readonly group?: string;
  readonly project?: string;
  readonly domain?: string;
  readonly inheritedToProjects?: boolean;
}

export interface CadfAttachment {
  readonly typeURI?: string;
  readonly name?: string;
}

export interface CadfEvent {
  readonly format: 'cadf';
  readonly id: string;
  readonly typeURI?: string;
  /** CADF eventType: activity, monitor or control. */
  readonly eventType?: string;
  readonly eventTime: HrTime;
  readonly action: string;
  readonly outcome: Outcome;
  readonly reason?: CadfReason;
  readonly initiator?: CadfResource;
  readonly target?: CadfResource;
  readonly observer?: CadfResource;
  readonly requestPath?: string;
  readonly tags: readonly string[];
  readonly attachments: readonly CadfAttachment[];
  readonly measurementCount: number;
  /** The first reporterchain entry's time: when keystonemiddleware saw the response. */
  readonly reporterTime?: HrTime;
  /** Keystone CRUD: the id of the resource created, updated or deleted. */
  readonly resourceInfo?: string;
  readonly assignment?: RoleAssignment;
}

/** Keystone `notification_format = basic`: no initiator, outcome or time. */
export interface BasicEvent {
  readonly format: 'basic';
  readonly resourceInfo?: string;
  readonly requestId?: string;
  readonly globalRequestId?: string;
  /** Group membership: the member (`actor_id`), its type and `added` / `removed`. */
  readonly actor?: { readonly id?: string; readonly type?: string; readonly operation?: string };
}

export type PayloadResult =
  | { readonly ok: true; readonly event: CadfEvent | BasicEvent }
  | { readonly ok: false; readonly error: DecodeError };

/** Notification payload -> typed CADF (or Keystone basic) event. Never throws. */
export function parsePayload(payload: unknown): PayloadResult {
  if (!isObject(payload)) {
    return bad(`payload is ${describe(payload)}, expected an object`);
  }
  if (isBasic(payload)) return { ok: true, event: parseBasic(payload) };
  return parseCadf(payload);
}

function isBasic(p: Record<string, unknown>): boolean {
  return 'resource_info' in p && !('action' in p) && !('outcome' in p) && !('eventTime' in p);
}

function parseBasic(p: Record<string, unknown>): BasicEvent {
  const actorId = optString(p.actor_id);
  return {
    format: 'basic',
    resourceInfo: optString(p.resource_info),
    requestId: optString(p.request_id),
    globalRequestId: optString(p.global_request_id),
    actor:
      actorId === undefined
        ? undefined
        : { id: actorId, type: optString(p.actor_type), operation: optString(p.actor_operation) },
  };
}

function parseCadf(p: Record<string, unknown>): PayloadResult {
  const id = p.id;
  if (typeof id !== 'string' || id === '') {
    return bad(`payload.id is ${describe(id)}, expected a non-empty string`);
  }
  const action = p.action;
  if (typeof action !== 'string' || action === '') {
    return bad(`payload.action is ${describe(action)}, expected a non-empty string`);
  }
  const outcome = p.outcome;
  if (typeof outcome !== 'string' || !(OUTCOMES as readonly string[]).includes(outcome)) {
    return bad(`payload.outcome is ${describe(outcome)}, expected one of ${OUTCOMES.join(', ')}`);
  }
  const timeText = p.eventTime;
  const eventTime = typeof timeText === 'string' ? parseTime(timeText) : undefined;
  if (eventTime === undefined) {
    return bad(`payload.eventTime is ${describe(timeText)}, expected a timestamp`);
  }
  const initiator = resourceField(p, 'initiator');
  if (initiator === BAD) return bad(`payload.initiator is ${describe(p.initiator)}, expected an object`);
  const target = resourceField(p, 'target');
  if (target === BAD) return bad(`payload.target is ${describe(p.target)}, expected an object`);
  const observer = resourceField(p, 'observer');
  if (observer === BAD) return bad(`payload.observer is ${describe(p.observer)}, expected an object`);

  return {
    ok: true,
    event: {
      format: 'cadf',
      id,
      typeURI: optString(p.typeURI),
      eventType: optString(p.eventType),
      eventTime,
      action,
      outcome: outcome as Outcome,
      reason: parseReason(p.reason),
      initiator,
      target,
      observer,
      requestPath: optString(p.requestPath),
      tags: stringArray(p.tags),
      attachments: parseAttachments(p.attachments),
      measurementCount: countMeasurements(p),
      reporterTime: parseReporterTime(p.reporterchain),
      resourceInfo: optString(p.resource_info),
      assignment: parseAssignment(p),
    },
  };
}

const BAD = Symbol('bad');

/** Object form, or pycadf's `<name>Id` short form; BAD when present but of the wrong type. */
function resourceField(
  p: Record<string, unknown>,
  key: 'initiator' | 'target' | 'observer',
): CadfResource | undefined | typeof BAD {
  const v = p[key];
  if (v === undefined || v === null) {
    const shortId = optString(p[`${key}Id`]);
    return shortId === undefined ? undefined : { id: shortId };
  }
  if (!isObject(v)) return BAD;
  return parseResource(v);
}

function parseResource(r: Record<string, unknown>): CadfResource {
  const host = r.host;
  const cred = r.credential;
  return {
    id: optString(r.id),
    typeURI: optString(r.typeURI),
    name: optString(r.name),
    username: optString(r.username) ?? optString(r.user_name),
    userId: optString(r.user_id),
    projectId: optString(r.project_id),
    domainId: optString(r.domain_id),
    // SAP's audit middleware names the user's domain `domain`.
    domainName: optString(r.domain_name) ?? optString(r.domain),
    applicationCredentialId: optString(r.application_credential_id),
    requestId: optString(r.request_id),
    globalRequestId: optString(r.global_request_id),
    host: isObject(host)
      ? { address: optString(host.address), agent: optString(host.agent) }
      : undefined,
    credential: isObject(cred)
      ? {
          type: optString(cred.type),
          identityStatus: optString(cred.identity_status),
          identityProvider: optString(cred.identity_provider),
          user: optString(cred.user),
          groups: Array.isArray(cred.groups) ? groupIds(cred.groups) : undefined,
        }
      : undefined,
  };
}

/** Federation groups are ids, or `{id, name}` objects in some releases. */
function groupIds(groups: unknown[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    if (typeof g === 'string') out.push(g);
    else if (isObject(g) && typeof g.id === 'string') out.push(g.id);
  }
  return out;
}

function parseReason(v: unknown): CadfReason | undefined {
  if (!isObject(v)) return undefined;
  return {
    reasonType: scalarString(v.reasonType),
    // The Keystone docs print reasonCode as a number; the wire has a string.
    reasonCode: scalarString(v.reasonCode),
    policyType: scalarString(v.policyType),
    policyId: scalarString(v.policyId),
  };
}

function parseAttachments(v: unknown): CadfAttachment[] {
  if (!Array.isArray(v)) return [];
  const out: CadfAttachment[] = [];
  for (const a of v) {
    if (isObject(a)) {
      out.push({ typeURI: optString(a.typeURI) ?? optString(a.contentType), name: optString(a.name) });
    }
  }
  return out;
}

function countMeasurements(p: Record<string, unknown>): number {
  // pycadf's docs example says `measurement`; the library writes `measurements`.
  const m = p.measurements ?? p.measurement;
  return Array.isArray(m) ? m.length : 0;
}

function parseReporterTime(chain: unknown): HrTime | undefined {
  if (!Array.isArray(chain) || chain.length === 0) return undefined;
  const first: unknown = chain[0];
  if (!isObject(first) || typeof first.reporterTime !== 'string') return undefined;
  return parseTime(first.reporterTime);
}

function parseAssignment(p: Record<string, unknown>): RoleAssignment | undefined {
  if (!('role' in p) && !('inherited_to_projects' in p)) return undefined;
  const inherited = p.inherited_to_projects;
  return {
    role: optString(p.role),
    user: optString(p.user),
    group: optString(p.group),
    project: optString(p.project),
    domain: optString(p.domain),
    inheritedToProjects: typeof inherited === 'boolean' ? inherited : undefined,
  };
}

function stringArray(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is string => typeof x === 'string');
}

function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function bad(message: string): PayloadResult {
  return { ok: false, error: decodeError('bad_payload', message) };
}
