import type { TransportResponse } from './transport.js';

/**
 * What one export request came to, decided once, where the answer is seen:
 * - `ok`: accepted. `rejected` > 0 is OTLP's partial success: the endpoint took the request but
 *   dropped that many records, and says why in `message`. The spec forbids retrying it.
 * - `retry`: nothing was accepted, and the same request may succeed later (429, 5xx, timeout, a
 *   network error, and also 401/403/404: a configuration problem must not drop the records).
 * - `refused`: the endpoint refuses this content (400, 413) or it cannot be encoded: retrying the
 *   same records cannot succeed; the export loop splits the batch to find the one refused.
 */
export type SendResult =
  | { readonly kind: 'ok'; readonly rejected: number; readonly message: string }
  | { readonly kind: 'retry'; readonly reason: string; readonly message: string; readonly retryAfterMs?: number }
  | { readonly kind: 'refused'; readonly reason: string; readonly message: string };

/**
 * Bounded `reason` label values of cadf_exporter_export_failures_total (docs/metrics.md,
 * docs/runbooks.md and the health dashboard name these).
 */
export const FAILURE_REASONS = [
  'status_400',
  'status_401',
  'status_403',
  'status_404',
  'status_413',
  'status_429',
  'status_4xx',
  'status_5xx',
  'timeout',
  'network',
  'encode',
  'other',
] as const;

/**
 * The reason of a request given up at the shutdown deadline: not an endpoint failure (it is not
 * counted as one); its messages go back to the queue.
 */
export const ABANDONED = 'abandoned';

const NAMED_STATUS = new Set([400, 401, 403, 404, 413, 429]);

export function interpret(r: TransportResponse, partial: (body: Buffer) => PartialSuccess | undefined): SendResult {
  if (r.kind === 'aborted') return { kind: 'retry', reason: ABANDONED, message: 'abandoned at the shutdown deadline' };
  if (r.kind === 'timeout') return { kind: 'retry', reason: 'timeout', message: 'the request timed out' };
  if (r.kind === 'network') return { kind: 'retry', reason: 'network', message: `${r.code}: ${r.message}` };
  const status = r.status;
  if (status >= 200 && status < 300) {
    const p = partial(r.body);
    return { kind: 'ok', rejected: p?.rejected ?? 0, message: p?.message ?? '' };
  }
  const reason = NAMED_STATUS.has(status) ? `status_${status}` : status >= 500 ? 'status_5xx' : status >= 400 ? 'status_4xx' : 'other';
  const text = r.body.toString('utf8', 0, Math.min(r.body.length, 300)).trim();
  const message = `HTTP ${status}${text !== '' ? `: ${text}` : ''}`;
  if (status === 400 || status === 413) return { kind: 'refused', reason, message };
  const retryAfterMs = parseRetryAfter(r.headers['retry-after']);
  return retryAfterMs !== undefined ? { kind: 'retry', reason, message, retryAfterMs } : { kind: 'retry', reason, message };
}

export interface PartialSuccess {
  readonly rejected: number;
  readonly message: string;
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
