import { diag, DiagLogLevel } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

export type { Logger };

/** The exporter's own logs: JSON lines on stderr (stdout may carry the records themselves). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'cadf-exporter' } }, pino.destination({ dest: 2, sync: true }));
}

/**
 * The OpenTelemetry SDK's own diagnostics (a serializer's complaint, a deprecation) go to the
 * service log instead of being silently dropped.
 */
export function routeOtelDiagnostics(log: Logger): void {
  const child = log.child({ component: 'opentelemetry' });
  diag.setLogger(
    {
      error: (msg, ...args) => child.error({ args }, msg),
      warn: (msg, ...args) => child.warn({ args }, msg),
      info: (msg, ...args) => child.info({ args }, msg),
      debug: (msg, ...args) => child.debug({ args }, msg),
      verbose: (msg, ...args) => child.trace({ args }, msg),
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}
