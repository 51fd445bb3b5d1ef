/**
 * What kind of event a notification is, decided by its oslo event_type (never by the payload:
 * `identity.authenticate` success and failure look alike but for `outcome`).
 */
export type Classification =
  | { readonly category: 'authentication' }
  | {
      readonly category: 'identity';
      /** Normalised, label-safe: `trust` for `OS-TRUST:trust`, `project_tag` for `project tag`. */
      readonly resourceType: string;
      /** As Keystone spells it in the event_type. */
      readonly rawResourceType: string;
      readonly operation: string;
    }
  | { readonly category: 'api'; readonly phase: 'request' | 'response' | 'single' }
  | { readonly category: 'other' };

const AUTH: Classification = { category: 'authentication' };
const OTHER: Classification = { category: 'other' };
const API_REQUEST: Classification = { category: 'api', phase: 'request' };
const API_RESPONSE: Classification = { category: 'api', phase: 'response' };
// ceilometermiddleware sends one event per call, after the response.
const API_SINGLE: Classification = { category: 'api', phase: 'single' };

/** Keystone's resource names (keystone/notifications.py, HEAD) -> the names we use. */
const RESOURCE_TYPES: ReadonlyMap<string, string> = new Map(
  Object.entries({
  user: 'user',
  group: 'group',
  project: 'project',
  domain: 'domain',
  role: 'role',
  region: 'region',
  service: 'service',
  endpoint: 'endpoint',
  policy: 'policy',
  credential: 'credential',
  application_credential: 'application_credential',
  access_rule: 'access_rule',
  role_assignment: 'role_assignment',
  'OS-TRUST:trust': 'trust',
  'project tag': 'project_tag',
  'OS-OAUTH1:consumer': 'oauth1_consumer',
  'OS-OAUTH1:request_token': 'oauth1_request_token',
  'OS-OAUTH1:access_token': 'oauth1_access_token',
  }),
);

/** The resource types a metric label may carry; anything else counts as `other`. */
export const KNOWN_RESOURCE_TYPES: ReadonlySet<string> = new Set(RESOURCE_TYPES.values());
export const KNOWN_OPERATIONS: ReadonlySet<string> = new Set(['created', 'updated', 'deleted']);

/** SAP's one-event-per-request event type, and what a bare CADF API event is called. */
export const AUDIT_CADF = 'audit.cadf';

/** Keystone's CADF typeURIs for its resources (`data/security/account/user`) -> resource name. */
const KEYSTONE_TYPE_URI = /^data\/security\/(?:account\/)?([a-z_]+)$/;
const CRUD: ReadonlyMap<string, string> = new Map([
  ['create', 'created'],
  ['update', 'updated'],
  ['delete', 'deleted'],
]);

/**
 * The event type of a bare CADF body (no oslo envelope), from its action and target typeURI:
 * `authenticate[/...]` -> `identity.authenticate`; create/update/delete of a Keystone typeURI
 * (`data/security/account/user`) -> `identity.user.created`, as Keystone names it; anything
 * else -> `audit.cadf`, one API call per event like SAP's audit middleware. docs/attributes.md.
 */
export function bareEventType(action: string | undefined, targetTypeURI: string | undefined): string {
  if (action === undefined) return AUDIT_CADF;
  if (action === 'authenticate' || action.startsWith('authenticate/')) return 'identity.authenticate';
  const m = targetTypeURI !== undefined ? KEYSTONE_TYPE_URI.exec(targetTypeURI) : null;
  const op = CRUD.get(action);
  if (m !== null && op !== undefined) return `identity.${m[1]!}.${op}`;
  return AUDIT_CADF;
}

const cache = new Map<string, Classification>();
const CACHE_LIMIT = 1024;

export function classify(eventType: string): Classification {
  let c = cache.get(eventType);
  if (c === undefined) {
    c = classifyUncached(eventType);
    // event_type values come from a small, code-defined set; the cap guards against junk.
    if (cache.size < CACHE_LIMIT) cache.set(eventType, c);
  }
  return c;
}

function classifyUncached(eventType: string): Classification {
  switch (eventType) {
    case 'identity.authenticate':
      return AUTH;
    case 'audit.http.request':
      return API_REQUEST;
    case 'audit.http.response':
      return API_RESPONSE;
    case 'objectstore.http.request':
      return API_SINGLE;
    case AUDIT_CADF:
      // SAP's audit middleware fork (and bare CADF): one event per request, after the response.
      return API_SINGLE;
  }
  if (!eventType.startsWith('identity.')) return OTHER;
  // Split on the LAST dot: `identity.OS-TRUST:trust.created`, `identity.project tag.created`.
  const last = eventType.lastIndexOf('.');
  const raw = eventType.slice('identity.'.length, last);
  if (last <= 'identity.'.length || raw === '') return OTHER;
  return {
    category: 'identity',
    resourceType: RESOURCE_TYPES.get(raw) ?? normaliseName(raw),
    rawResourceType: raw,
    operation: eventType.slice(last + 1),
  };
}

/** `OS-FOO:bar baz` -> `foo_bar_baz`: readable for types Keystone may add later. */
function normaliseName(raw: string): string {
  return raw
    .replace(/^OS-/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
