/**
 * keystonemiddleware's API audit events: one `audit.http.request` (outcome pending) and one
 * `audit.http.response` per call, sharing the CADF id, eventTime and correlation tag, as in the
 * keystonemiddleware 10.1 captures (test/testdata/samples/audit-*). The response carries the HTTP
 * status as the reason and the reporter's time, from which the exporter derives the duration; a
 * call whose service raised has outcome `unknown` and no reason.
 */
import { cadfTime, notification, type Notification } from './notification.js';
import type { Random } from './random.js';
import type { Ctx } from './keystone.js';
import type { User } from './world.js';

interface ApiOp {
  /** Catalog name (`target.name`), and the process that publishes (`publisher_id`). */
  readonly target: string;
  readonly publisher: string;
  readonly url: string;
  readonly typeURI: string;
  readonly action: string;
  readonly path: (rnd: Random, projectId: string) => string;
  readonly ok: string;
  /** Status codes a failing call of this kind answers with. */
  readonly fail: readonly string[];
  /** Relative frequency. */
  readonly weight: number;
  /** Slowest duration in seconds (log-uniform from 10 ms). */
  readonly slowest: number;
}

const id = (r: Random): string => r.uuid();
const NOVA = { target: 'nova', publisher: 'nova-api', url: 'http://controller:8774/v2.1' };
const GLANCE = { target: 'glance', publisher: 'glance-api', url: 'http://controller:9292' };
const NEUTRON = { target: 'neutron', publisher: 'neutron-server', url: 'http://controller:9696' };
const CINDER = { target: 'cinderv3', publisher: 'cinder-api', url: 'http://controller:8776/v3' };
const BARBICAN = { target: 'barbican', publisher: 'uwsgi', url: 'http://controller:9311' };
const SWIFT = { target: 'swift', publisher: 'proxy-server', url: 'http://controller:8080/v1' };

export const API_OPS: readonly ApiOp[] = [
  { ...NOVA, typeURI: 'service/compute/servers/detail', action: 'read/list', path: () => '/v2.1/servers/detail', ok: '200', fail: ['403'], weight: 8, slowest: 1.5 },
  { ...NOVA, typeURI: 'service/compute/servers', action: 'create', path: () => '/v2.1/servers', ok: '202', fail: ['400', '403'], weight: 2, slowest: 4 },
  { ...NOVA, typeURI: 'service/compute/servers/server', action: 'read', path: (r) => `/v2.1/servers/${id(r)}`, ok: '200', fail: ['404'], weight: 4, slowest: 0.8 },
  { ...NOVA, typeURI: 'service/compute/servers/server', action: 'delete', path: (r) => `/v2.1/servers/${id(r)}`, ok: '204', fail: ['404', '409'], weight: 1, slowest: 2 },
  { ...NOVA, typeURI: 'service/compute/servers/server/action', action: 'update/os-stop', path: (r) => `/v2.1/servers/${id(r)}/action`, ok: '202', fail: ['409'], weight: 1, slowest: 1 },
  { ...NOVA, typeURI: 'service/compute/os-hypervisors', action: 'read/list', path: () => '/v2.1/os-hypervisors', ok: '200', fail: ['403'], weight: 0.5, slowest: 1 },
  { ...GLANCE, typeURI: 'service/storage/image/images', action: 'read/list', path: () => '/v2/images?limit=20', ok: '200', fail: ['403'], weight: 4, slowest: 1 },
  { ...GLANCE, typeURI: 'service/storage/image/images/image/file', action: 'update', path: (r) => `/v2/images/${id(r)}/file`, ok: '204', fail: ['409', '413'], weight: 0.5, slowest: 8 },
  { ...GLANCE, typeURI: 'service/storage/image/images/image', action: 'delete', path: (r) => `/v2/images/${id(r)}`, ok: '204', fail: ['403', '404'], weight: 0.5, slowest: 1 },
  { ...NEUTRON, typeURI: 'service/network/ports', action: 'read/list', path: (r) => `/v2.0/ports?device_id=${id(r)}`, ok: '200', fail: ['403'], weight: 4, slowest: 0.6 },
  { ...NEUTRON, typeURI: 'service/network/networks', action: 'create', path: () => '/v2.0/networks', ok: '201', fail: ['400', '409'], weight: 0.5, slowest: 1.5 },
  { ...NEUTRON, typeURI: 'service/network/ports/port', action: 'delete', path: (r) => `/v2.0/ports/${id(r)}`, ok: '204', fail: ['404', '409'], weight: 0.5, slowest: 1 },
  { ...NEUTRON, typeURI: 'service/network/routers/router', action: 'update/add', path: (r) => `/v2.0/routers/${id(r)}/add_router_interface`, ok: '200', fail: ['400', '409'], weight: 0.3, slowest: 2 },
  { ...CINDER, typeURI: 'service/storage/block/volumes', action: 'read/list', path: (_r, p) => `/v3/${p}/volumes/detail`, ok: '200', fail: ['403'], weight: 2, slowest: 1 },
  { ...CINDER, typeURI: 'service/storage/block/volumes', action: 'create', path: (_r, p) => `/v3/${p}/volumes`, ok: '202', fail: ['400', '413'], weight: 1, slowest: 2 },
  { ...CINDER, typeURI: 'service/storage/block/volumes/volume', action: 'delete', path: (r, p) => `/v3/${p}/volumes/${id(r)}`, ok: '202', fail: ['400', '404'], weight: 0.5, slowest: 1.5 },
  { ...BARBICAN, typeURI: 'service/security/keymanager/secrets', action: 'create', path: () => '/v1/secrets', ok: '201', fail: ['400', '403'], weight: 0.5, slowest: 0.5 },
  { ...BARBICAN, typeURI: 'service/security/keymanager/secrets/', action: 'read', path: (r) => `/v1/secrets/${id(r)}`, ok: '200', fail: ['403', '404'], weight: 1, slowest: 0.5 },
  { ...SWIFT, typeURI: 'service/storage/object-store/v1/object-store', action: 'update', path: (r, p) => `/v1/AUTH_${p}/backups/db-${r.int(1, 999)}.tar.gz`, ok: '201', fail: ['413', '507'], weight: 1, slowest: 6 },
  { ...SWIFT, typeURI: 'service/storage/object-store/v1/object-store', action: 'read', path: (r, p) => `/v1/AUTH_${p}/media/img-${r.int(1, 9999)}.jpg`, ok: '200', fail: ['404'], weight: 2, slowest: 0.5 },
];

const WEIGHTS: Readonly<Record<string, number>> = Object.fromEntries(API_OPS.map((op, i) => [String(i), op.weight]));

/**
 * One API call by `user`: its request and response events. `failureRatio` of the calls answer
 * with one of the operation's error statuses; a tenth of those raise in the service instead
 * (outcome unknown, the client sees a 500).
 */
export function apiCall(c: Ctx, user: User, failureRatio: number): [Notification, Notification] {
  const { rnd } = c;
  const op = API_OPS[Number(rnd.weighted(WEIGHTS))]!;
  const failed = rnd.chance(failureRatio);
  const raised = failed && rnd.chance(0.1);
  const seconds = rnd.logUniform(0.01, op.slowest);
  const startMs = c.nowMs - seconds * 1000;
  const shared = {
    typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event',
    eventType: 'activity',
    id: rnd.uuid(),
    eventTime: cadfTime(startMs, rnd),
    action: op.action,
    observer: { id: 'target' },
    initiator: {
      id: user.id,
      typeURI: 'service/security/account/user',
      name: user.name,
      credential: { token: `${token(rnd)} xxxxxxxx ${token(rnd)}`, identity_status: 'Confirmed' },
      host: { address: c.world.addressOf(user), agent: c.world.agentOf(user) },
      project_id: user.projectId,
      request_id: `req-${rnd.uuid()}`,
    },
    target: {
      id: op.target,
      typeURI: op.typeURI,
      name: op.target,
      addresses: ['admin', 'private', 'public'].map((name) => ({ url: op.url, name })),
    },
    requestPath: op.path(rnd, user.projectId),
    tags: [`correlation_id?value=${rnd.uuid()}`],
  };
  const request = notification(rnd, 'api', 'api_request', c.envelope, {
    publisherId: op.publisher,
    eventType: 'audit.http.request',
    payload: { ...shared, outcome: 'pending' },
    timestampMs: startMs,
  });
  const status = failed ? rnd.pick(op.fail) : op.ok;
  const response = notification(rnd, 'api', 'api_response', c.envelope, {
    publisherId: op.publisher,
    eventType: 'audit.http.response',
    payload: {
      ...shared,
      outcome: raised ? 'unknown' : failed ? 'failure' : 'success',
      ...(raised ? {} : { reason: { reasonType: 'HTTP', reasonCode: status } }),
      reporterchain: [{ role: 'modifier', reporterTime: cadfTime(c.nowMs, rnd), reporter: { id: 'target' } }],
    },
    timestampMs: c.nowMs,
  });
  return [request, response];
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The visible ends of a masked token, as keystonemiddleware leaves them. */
function token(rnd: Random): string {
  let s = '';
  for (let i = 0; i < 25; i++) s += B64[rnd.int(0, B64.length - 1)];
  return s;
}
