/**
 * One log line -> what it holds. Pure: no I/O, never throws. Formats are detected per line, so one
 * glob may cover plain oslo.log files, use_json files and container logs at once.
 */

/** A container runtime's wrapping taken off: the text, and whether it continues on the next line. */
export interface Unwrapped {
  readonly text: string;
  /** CRI `P` or a docker json-file `log` without its newline: the record continues. */
  readonly partial: boolean;
}

export type LineResult =
  | { readonly kind: 'notification'; readonly body: Buffer }
  | { readonly kind: 'skip' }
  | { readonly kind: 'bad'; readonly code: string; readonly message: string };

// containerd/CRI-O: `<RFC3339Nano> stdout|stderr P|F <text>`.
const CRI = /^(\d{4}-\d\d-\d\dT\S+) (stdout|stderr) ([PF]) ?(.*)$/s;
// oslo's logger for the `log` notification driver: LOGGER_BASE + event_type.
const LOGGER = ' oslo.messaging.notification.';
const OSLO_PLAIN = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \d+ [A-Z]+ oslo\.messaging\.notification\./;
const CADF_TYPE_URI = 'http://schemas.dmtf.org/cloud/audit/1.0/event';

/** Takes off CRI or docker json-file wrapping; any other line comes back as it is. */
export function unwrapContainer(line: string): Unwrapped {
  const cri = CRI.exec(line);
  if (cri !== null) return { text: cri[4] ?? '', partial: cri[3] === 'P' };
  if (line.startsWith('{"log":')) {
    const doc = parseJson(line);
    if (isObject(doc) && typeof doc.log === 'string' && typeof doc.stream === 'string') {
      const log = doc.log;
      return log.endsWith('\n') ? { text: log.slice(0, -1), partial: false } : { text: log, partial: true };
    }
  }
  return { text: line, partial: false };
}

/** The text of one record (container wrapping already off) -> a notification body, skip, or bad. */
export function parseRecord(text: string): LineResult {
  const t = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (t.startsWith('{')) return parseJsonLine(t);
  if (OSLO_PLAIN.test(t)) return parsePlain(t);
  return SKIP;
}

const SKIP: LineResult = { kind: 'skip' };

function parsePlain(t: string): LineResult {
  // The logger name may hold a space (Keystone's `identity.project tag.created`): the bracket that
  // follows it is the landmark, then the first `{` after `] ` starts the notification.
  const at = t.indexOf(LOGGER);
  const close = t.indexOf('] ', at);
  if (close < 0) return bad('not_notification', 'an oslo.messaging.notification line without its context bracket');
  let json = t.slice(close + 2);
  const brace = json.indexOf('{');
  if (brace < 0) return bad('not_notification', 'an oslo.messaging.notification line without a JSON notification');
  json = json.slice(brace);
  // oslo.log's ColorHandler (stdout logging) ends each line with ESC[00m.
  const esc = json.lastIndexOf('\u001b[');
  if (esc > 0 && json.endsWith('m')) json = json.slice(0, esc);
  return notificationOf(parseJson(json), 'the notification after the context bracket');
}

function parseJsonLine(t: string): LineResult {
  const doc = parseJson(t);
  if (doc === undefined) {
    // A line that looks like JSON but does not parse may be anything (a traceback fragment):
    // only a line that says it is a notification is worth a dead letter.
    return t.includes('"event_type"') || t.includes('oslo.messaging.notification.') ? bad('invalid_json', 'a notification line that is not valid JSON') : SKIP;
  }
  if (!isObject(doc)) return SKIP;
  // oslo.log's JSONFormatter: the notification is a JSON string in `message`, `name` says it is one.
  if (typeof doc.name === 'string' && typeof doc.message === 'string' && 'levelname' in doc) {
    if (!doc.name.startsWith('oslo.messaging.notification.')) return SKIP;
    return notificationOf(parseJson(doc.message), 'the `message` of a use_json line');
  }
  if (typeof doc.event_type === 'string' && 'payload' in doc) return body(doc);
  if ('oslo.version' in doc && 'oslo.message' in doc) return body(doc);
  // A bare CADF event: wrapped as the notification oslo would have sent, so it decodes the same way.
  if (doc.typeURI === CADF_TYPE_URI) {
    const action = typeof doc.action === 'string' ? doc.action : 'unknown';
    return body({ message_id: typeof doc.id === 'string' ? doc.id : undefined, event_type: `audit.cadf.${action}`, priority: 'INFO', payload: doc });
  }
  return SKIP;
}

function notificationOf(doc: unknown, what: string): LineResult {
  if (doc === undefined) return bad('invalid_json', `${what} is not valid JSON`);
  if (!isObject(doc)) return bad('not_notification', `${what} is not a JSON object`);
  return body(doc);
}

function body(doc: Record<string, unknown>): LineResult {
  return { kind: 'notification', body: Buffer.from(JSON.stringify(doc), 'utf8') };
}

function bad(code: string, message: string): LineResult {
  return { kind: 'bad', code, message };
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
