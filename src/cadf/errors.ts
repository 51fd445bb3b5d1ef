/**
 * Why a message body could not be turned into an event. Codes are stable: they are metric label
 * values, dead-letter headers and documented in docs/errors.md (a test keeps the two in step).
 */
export const DECODE_ERROR_CODES = [
  'too_large',
  'invalid_utf8',
  'invalid_json',
  'not_notification',
  'bad_envelope',
  'unsupported_envelope_version',
  'bad_payload',
  'internal',
] as const;

export type DecodeErrorCode = (typeof DECODE_ERROR_CODES)[number];

export interface DecodeError {
  readonly code: DecodeErrorCode;
  /** One line naming the problem, e.g. `payload.outcome is "done", expected one of ...`. */
  readonly message: string;
}

export function decodeError(code: DecodeErrorCode, message: string): DecodeError {
  return { code, message };
}

/** Short, printable rendering of an unexpected value for error messages (never the whole body). */
export function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    return value.length > 40 ? `"${value.slice(0, 40)}..." (string)` : `"${value}"`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}
