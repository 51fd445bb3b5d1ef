/** What went wrong with an export, decided once where the error is seen. */
export interface ExportFailure {
  /** Bounded label value: status_400, status_5xx, timeout, network, retryable, other. */
  readonly reason: string;
  /** The endpoint refused the content (400, 413): retrying the same batch cannot succeed. */
  readonly rejectsContent: boolean;
  readonly message: string;
}

const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
const NAMED_STATUS = new Set([400, 401, 403, 404, 413, 429]);

export function classifyFailure(error: unknown): ExportFailure {
  const e = error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  if (typeof e?.code === 'number') {
    const status = e.code;
    const body = typeof e.data === 'string' && e.data !== '' ? `: ${e.data.slice(0, 300)}` : '';
    return {
      reason: NAMED_STATUS.has(status) ? `status_${status}` : `status_${Math.floor(status / 100)}xx`,
      rejectsContent: status === 400 || status === 413,
      message: `HTTP ${status} ${message}${body}`.trim(),
    };
  }
  if (typeof e?.code === 'string' && NETWORK.has(e.code)) {
    return { reason: 'network', rejectsContent: false, message: `${e.code}: ${message}` };
  }
  if (/timed? ?out/i.test(message)) return { reason: 'timeout', rejectsContent: false, message };
  // The SDK's retrying transport gave up on 429/502/503/504 within the request timeout.
  if (/retryable status/i.test(message)) return { reason: 'retryable', rejectsContent: false, message };
  return { reason: 'other', rejectsContent: false, message };
}
