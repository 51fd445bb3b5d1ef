import { ATTR, type LogRecordData } from '../../cadf/index.js';

/**
 * What a notification rule matches on. Every field is optional; a record matches a rule when it
 * matches every field given. A field is one glob or a list of globs (any of them): `*` any run of
 * characters, `?` one character, matched against the whole value, case-sensitively.
 */
export interface RuleMatch {
  /** The oslo event_type, e.g. `identity.user.deleted`, `identity.role_assignment.*`. */
  readonly event?: Globs;
  /** authentication, identity, api or other. */
  readonly category?: Globs;
  /** user, project, role_assignment, application_credential, ... */
  readonly resourceType?: Globs;
  /** created, updated, deleted, disabled, ... */
  readonly operation?: Globs;
  /** success, failure, pending, unknown. */
  readonly outcome?: Globs;
  /** The role of a role assignment, by name (or id). */
  readonly role?: Globs;
  /** Who did it: the initiator's user name or id. */
  readonly initiator?: Globs;
  /** What it was done to: the resource's (or assigned user's, or CADF target's) name or id. */
  readonly target?: Globs;
  /** The CADF reason: its code (`401`) or its text (`The account is locked for user: *`). */
  readonly reason?: Globs;
}

export type Globs = string | readonly string[];

export type Severity = 'info' | 'warning' | 'critical';

export interface NotifyRule {
  /** Becomes the alert's `alertname` label: what a route in Alertmanager matches on. */
  readonly name: string;
  readonly severity: Severity;
  readonly match: RuleMatch;
  /** Free text for a person, added as the `summary` annotation. */
  readonly summary?: string;
}

export const MATCH_FIELDS = ['event', 'category', 'resourceType', 'operation', 'outcome', 'role', 'initiator', 'target', 'reason'] as const;
type Field = (typeof MATCH_FIELDS)[number];

/** The values of a record one match field is tested against (any of them may match). */
function valuesOf(r: LogRecordData, field: Field): Array<string | undefined> {
  const a = r.attributes;
  const s = (k: string): string | undefined => (typeof a[k] === 'string' ? (a[k]) : undefined);
  switch (field) {
    case 'event':
      return [r.eventName];
    case 'category':
      return [s(ATTR.EVENT_CATEGORY)];
    case 'resourceType':
      return [s(ATTR.RESOURCE_TYPE)];
    case 'operation':
      return [s(ATTR.RESOURCE_OPERATION)];
    case 'outcome':
      return [s(ATTR.CADF_OUTCOME) ?? (r.eventName.startsWith('identity.') ? 'success' : undefined)];
    case 'role':
      return [s(ATTR.ROLE_NAME), s(ATTR.ROLE_ID)];
    case 'initiator':
      return [s(ATTR.USER_NAME), s(ATTR.USER_ID), s(ATTR.CADF_INITIATOR_ID)];
    case 'target':
      return [
        s(ATTR.RESOURCE_NAME),
        s(ATTR.RESOURCE_ID),
        s(ATTR.ASSIGNMENT_USER_NAME),
        s(ATTR.ASSIGNMENT_USER_ID),
        s(ATTR.CADF_TARGET_NAME),
        s(ATTR.CADF_TARGET_ID),
      ];
    case 'reason':
      return [s(ATTR.CADF_REASON_CODE), s(ATTR.CADF_REASON_TYPE)];
  }
}

/** `identity.*.deleted` -> /^identity\..*\.deleted$/. Only `*` and `?` are special. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** A rule compiled once at start: matching a record is then a few regex tests, no allocation. */
export class CompiledRule {
  private readonly tests: Array<{ field: Field; res: RegExp[] }> = [];

  constructor(readonly rule: NotifyRule) {
    for (const field of MATCH_FIELDS) {
      const g = rule.match[field];
      if (g === undefined) continue;
      const list = typeof g === 'string' ? [g] : g;
      this.tests.push({ field, res: list.map(globToRegExp) });
    }
  }

  matches(r: LogRecordData): boolean {
    for (const t of this.tests) {
      const values = valuesOf(r, t.field);
      if (!values.some((v) => v !== undefined && t.res.some((re) => re.test(v)))) return false;
    }
    return true;
  }
}

/** Every rule a record matches (a record may raise several alerts, one per rule). */
export function matchingRules(rules: readonly CompiledRule[], r: LogRecordData): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const c of rules) if (c.matches(r)) out.push(c);
  return out;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
const SEVERITIES: readonly string[] = ['info', 'warning', 'critical'];

/**
 * Checks a rule list read from JSON (config or file) and says what is wrong with the first bad
 * entry, naming it. Returns the typed list.
 */
export function parseRules(v: unknown, where: string): NotifyRule[] {
  if (!Array.isArray(v)) throw new Error(`${where} must be a JSON array of rules, e.g. [{"name":"UserDeleted","severity":"warning","match":{"event":"identity.user.deleted"}}]`);
  const names = new Set<string>();
  return v.map((entry: unknown, i): NotifyRule => {
    const at = `${where} entry ${i}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new Error(`${at} must be an object with name, severity and match`);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!['name', 'severity', 'match', 'summary'].includes(k)) throw new Error(`${at} has an unknown field "${k}" (allowed: name, severity, match, summary)`);
    if (typeof e.name !== 'string' || !NAME.test(e.name)) throw new Error(`${at}: "name" must be a letter then letters, digits or _ (it becomes the alertname label)`);
    if (names.has(e.name)) throw new Error(`${at}: the name "${e.name}" is used twice`);
    names.add(e.name);
    const severity = e.severity ?? 'warning';
    if (typeof severity !== 'string' || !SEVERITIES.includes(severity)) throw new Error(`rule "${e.name}": "severity" must be one of ${SEVERITIES.join(', ')}`);
    if (e.summary !== undefined && typeof e.summary !== 'string') throw new Error(`rule "${e.name}": "summary" must be a string`);
    const m = e.match;
    if (m === null || typeof m !== 'object' || Array.isArray(m) || Object.keys(m).length === 0) {
      throw new Error(`rule "${e.name}": "match" must be an object with at least one of ${MATCH_FIELDS.join(', ')}`);
    }
    for (const [k, g] of Object.entries(m as Record<string, unknown>)) {
      if (!(MATCH_FIELDS as readonly string[]).includes(k)) throw new Error(`rule "${e.name}": unknown match field "${k}" (allowed: ${MATCH_FIELDS.join(', ')})`);
      const ok = (typeof g === 'string' && g !== '') || (Array.isArray(g) && g.length > 0 && g.every((x) => typeof x === 'string' && x !== ''));
      if (!ok) throw new Error(`rule "${e.name}": match.${k} must be a glob or a non-empty list of globs`);
    }
    return { name: e.name, severity: severity as Severity, match: m, ...(e.summary !== undefined ? { summary: e.summary } : {}) };
  });
}
