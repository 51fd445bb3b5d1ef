/**
 * Keystone's CADF notifications, shaped like the Keystone 22 captures in test/testdata/samples
 * (`keystone-authenticate-*`, `keystone-*-created-*`, `keystone-role-assignment-*`) and the
 * corner cases of what a real Keystone sends (test/testdata/cornercases/quirk-*): a wrong
 * password carries no reason, an unknown user name a 404 with `initiator.user_name`, a locked
 * account a 401 "The account is locked for user: <id>.", and a user deletion no initiator (Zed).
 */
import { cadfTime, notification, type Envelope, type Kind, type Notification } from './notification.js';
import type { Random } from './random.js';
import type { Assignment, User, World } from './world.js';

export interface Ctx {
  readonly world: World;
  readonly rnd: Random;
  readonly nowMs: number;
  readonly envelope: Envelope;
}

export type LoginResult = 'success' | 'wrong_password' | 'unknown_user' | 'locked' | 'expired';

const EVENT = 'http://schemas.dmtf.org/cloud/audit/1.0/event';
const USER_URI = 'service/security/account/user';

/** Keystone's `CADF_TYPE_MAP` (pycadf taxonomy) for the resource types simulated. */
export const TARGET_URI: Readonly<Record<string, string>> = {
  user: 'data/security/account/user',
  project: 'data/security/project',
  group: 'data/security/group',
  domain: 'data/security/domain',
  role: 'data/security/role',
};

export function login(c: Ctx, user: User, result: LoginResult, from?: { address: string; agent: string }, kind?: Kind): Notification {
  const { rnd, world } = c;
  const host = from ?? { address: world.addressOf(user), agent: world.agentOf(user) };
  const requestId = `req-${rnd.uuid()}`;
  const initiator: Record<string, unknown> =
    result === 'unknown_user'
      ? // Keystone does not know the name: a random initiator id, the name tried, the domain looked in.
        { id: rnd.uuid(), typeURI: USER_URI, host, request_id: requestId, user_name: user.name, domain_id: user.domainId, ...(user.domainId === 'default' ? { domain_name: 'Default' } : {}) }
      : { id: user.id, typeURI: USER_URI, host, request_id: requestId, user_id: user.id, username: user.name };
  const payload: Record<string, unknown> = {
    typeURI: EVENT,
    eventType: 'activity',
    id: rnd.uuid(),
    eventTime: cadfTime(c.nowMs, rnd),
    action: 'authenticate',
    outcome: result === 'success' ? 'success' : 'failure',
    observer: { id: world.keystoneServiceId, typeURI: 'service/security' },
    initiator,
    target: { id: rnd.uuid(), typeURI: USER_URI },
  };
  const reason = REASONS[result]?.(user);
  if (reason !== undefined) payload.reason = reason;
  return notification(rnd, 'keystone', kind ?? (result === 'success' ? 'login_success' : 'login_failure'), c.envelope, {
    publisherId: `identity.${world.keystoneHost}`,
    eventType: 'identity.authenticate',
    payload,
    timestampMs: c.nowMs,
  });
}

const REASONS: Partial<Record<LoginResult, (u: User) => { reasonType: string; reasonCode: string }>> = {
  unknown_user: (u) => ({ reasonType: `Could not find user: ${u.name}.`, reasonCode: '404' }),
  locked: (u) => ({ reasonType: `The account is locked for user: ${u.id}.`, reasonCode: '401' }),
  expired: (u) => ({ reasonType: `The password is expired and needs to be changed for user: ${u.id}.`, reasonCode: '401' }),
};

/** `identity.<type>.<operation>` on resource `id`, by `by` (absent: Keystone sent no initiator). */
export function crud(c: Ctx, type: string, operation: 'created' | 'updated' | 'deleted', id: string, by: User | undefined): Notification {
  const { rnd } = c;
  const payload: Record<string, unknown> = {
    typeURI: EVENT,
    eventType: 'activity',
    id: rnd.uuid(),
    eventTime: cadfTime(c.nowMs, rnd),
    action: `${operation}.${type}`,
    outcome: 'success',
    observer: { id: c.world.keystoneServiceId, typeURI: 'service/security' },
    ...(by !== undefined ? { initiator: adminInitiator(c, by) } : {}),
    target: { id, typeURI: TARGET_URI[type] ?? 'unknown' },
    resource_info: id,
  };
  return notification(rnd, 'keystone', 'identity', c.envelope, {
    publisherId: `identity.${c.world.keystoneHost}`,
    eventType: `identity.${type}.${operation}`,
    payload,
    timestampMs: c.nowMs,
  });
}

/** A grant (`created`) or revocation (`deleted`) of a role, as Keystone's assignment API notifies it. */
export function roleAssignment(c: Ctx, operation: 'created' | 'deleted', a: Assignment, by: User): Notification {
  const { rnd } = c;
  const payload: Record<string, unknown> = {
    typeURI: EVENT,
    eventType: 'activity',
    id: rnd.uuid(),
    eventTime: cadfTime(c.nowMs, rnd),
    action: `${operation}.role_assignment`,
    outcome: 'success',
    observer: { id: c.world.keystoneServiceId, typeURI: 'service/security' },
    initiator: adminInitiator(c, by),
    target: { id: rnd.uuid(), typeURI: USER_URI },
    [a.scope.kind]: a.scope.id,
    [a.actor.kind]: a.actor.id,
    inherited_to_projects: a.inherited,
    role: a.role.id,
  };
  return notification(rnd, 'keystone', 'role_assignment', c.envelope, {
    publisherId: `identity.${c.world.keystoneHost}`,
    eventType: `identity.role_assignment.${operation}`,
    payload,
    timestampMs: c.nowMs,
  });
}

function adminInitiator(c: Ctx, by: User): Record<string, unknown> {
  return {
    id: by.id,
    typeURI: USER_URI,
    host: { address: c.world.addressOf(by), agent: c.world.agentOf(by) },
    user_id: by.id,
    project_id: by.projectId,
    request_id: `req-${c.rnd.uuid()}`,
    username: by.name,
  };
}
