import { pino, type Logger } from 'pino';

export type { Logger };

/** The exporter's own logs: JSON lines on stderr (stdout may carry the records themselves). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'cadf-exporter' } }, pino.destination({ dest: 2, sync: true }));
}
