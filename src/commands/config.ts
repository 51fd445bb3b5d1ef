import { ConfigError, listSettings, loadConfig } from '../config/load.js';
import { redactConfig } from '../config/redact.js';
import type { CommandIO } from './io.js';

export async function configCommand(args: string[], io: CommandIO): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout('Usage: cadf-exporter config [--config FILE] [--<setting> VALUE ...]\n\n');
    io.stdout('Prints the effective configuration as JSON (passwords and header values masked).\n\nSettings:\n');
    for (const s of listSettings()) {
      io.stdout(`  ${s.key}  (env ${s.env ?? '-'}, flag --${s.arg ?? '-'})\n      ${s.doc}\n`);
    }
    return 0;
  }
  try {
    io.stdout(`${JSON.stringify(redactConfig(loadConfig({ args })), null, 2)}\n`);
    return Promise.resolve(0);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`cadf-exporter: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
