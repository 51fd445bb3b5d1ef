import { startApp } from '../app.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../logger.js';
import type { CommandIO } from './io.js';

export const RUN_USAGE = `Usage: cadf-exporter run [--config FILE] [--<setting> VALUE ...]

Consumes CADF notifications from RabbitMQ, exports them as OpenTelemetry log records (or JSON
lines on stdout when no OTLP endpoint is set) and serves Prometheus metrics. Every setting has an
env var and a flag: see docs/configuration.md or "cadf-exporter config --help".`;

export async function runCommand(args: string[], io: CommandIO): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${RUN_USAGE}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig({ args });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`cadf-exporter: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  let app;
  try {
    app = await startApp(config, log);
  } catch (err) {
    io.stderr(`cadf-exporter: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      app.shutdown(signal).then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  log.flush();
  return 0;
}
