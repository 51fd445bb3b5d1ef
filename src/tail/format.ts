import { ATTR, formatTime, type LogRecordData } from '../cadf/index.js';
import { globToRegExp } from '../sinks/alertmanager/rules.js';

/** What `tail` shows; every field given must match (globs as in the notification rules). */
export interface TailFilter {
  readonly event?: RegExp;
  readonly outcome?: RegExp;
  /** The initiator, or the user acted on, by name or id. */
  readonly user?: RegExp;
  /** The project acted in, or acted on, by name or id. */
  readonly project?: RegExp;
  /** Anywhere in the line, case-insensitive. */
  readonly grep?: RegExp;
}

export function makeFilter(o: { event?: string; outcome?: string; user?: string; project?: string; grep?: string }): TailFilter {
  return {
    ...(o.event !== undefined ? { event: globToRegExp(o.event) } : {}),
    ...(o.outcome !== undefined ? { outcome: globToRegExp(o.outcome) } : {}),
    ...(o.user !== undefined ? { user: globToRegExp(o.user) } : {}),
    ...(o.project !== undefined ? { project: globToRegExp(o.project) } : {}),
    ...(o.grep !== undefined ? { grep: new RegExp(o.grep, 'i') } : {}),
  };
}

function str(r: LogRecordData, k: string): string | undefined {
  const v = r.attributes[k];
  return typeof v === 'string' ? v : undefined;
}

function any(re: RegExp | undefined, values: Array<string | undefined>): boolean {
  return re === undefined || values.some((v) => v !== undefined && re.test(v));
}

export function matches(f: TailFilter, r: LogRecordData): boolean {
  const outcome = str(r, ATTR.CADF_OUTCOME) ?? (r.eventName.startsWith('identity.') ? 'success' : undefined);
  const userTarget = str(r, ATTR.RESOURCE_TYPE) === 'user' ? [str(r, ATTR.RESOURCE_NAME), str(r, ATTR.RESOURCE_ID)] : [];
  const projectTarget = str(r, ATTR.RESOURCE_TYPE) === 'project' ? [str(r, ATTR.RESOURCE_NAME), str(r, ATTR.RESOURCE_ID)] : [];
  return (
    any(f.event, [r.eventName]) &&
    any(f.outcome, [outcome]) &&
    any(f.user, [str(r, ATTR.USER_NAME), str(r, ATTR.USER_ID), str(r, ATTR.ASSIGNMENT_USER_NAME), str(r, ATTR.ASSIGNMENT_USER_ID), ...userTarget]) &&
    any(f.project, [str(r, ATTR.PROJECT_NAME), str(r, ATTR.PROJECT_ID), str(r, ATTR.ASSIGNMENT_PROJECT_NAME), str(r, ATTR.ASSIGNMENT_PROJECT_ID), ...projectTarget]) &&
    (f.grep === undefined || f.grep.test(r.body))
  );
}

/**
 * The prototype's line: `USER DELETED: success: user alice by admin from 10.0.0.5`. The record's
 * body keeps ids beside names, `alice (7ec4...)`; a terminal line drops an id when the name is
 * there (--ids keeps them).
 */
export function shortLine(body: string): string {
  return body.replace(/([^\s(]+) \(([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)/g, '$1');
}

const RED = '\u001b[31m';
const GREEN = '\u001b[32m';
const YELLOW = '\u001b[33m';
const DIM = '\u001b[2m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

export interface LineOptions {
  readonly colour: boolean;
  readonly ids: boolean;
}

/** `14:03:11 USER DELETED: success: user alice by admin from 10.0.0.5`, coloured by what happened. */
export function formatLine(r: LogRecordData, o: LineOptions): string {
  const time = r.timestamp !== undefined ? formatTime(r.timestamp).slice(11, 19) : '--:--:--';
  const text = o.ids ? r.body : shortLine(r.body);
  if (!o.colour) return `${time} ${text}`;
  const outcome = str(r, ATTR.CADF_OUTCOME);
  const colour = outcome === 'failure' || r.severityNumber >= 17 ? RED : str(r, ATTR.RESOURCE_OPERATION) === 'deleted' || r.severityNumber >= 13 ? YELLOW : GREEN;
  // The head (`USER DELETED: success:`) in colour, the rest plain: the eye finds what happened.
  const m = /^(.*?: \S+?:)( .*)?$/.exec(text);
  const head = m?.[1] ?? text;
  const rest = m?.[2] ?? '';
  return `${DIM}${time}${RESET} ${BOLD}${colour}${head}${RESET}${rest}`;
}
