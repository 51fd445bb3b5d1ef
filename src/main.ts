import { configCommand } from './commands/config.js';
import { inspectCommand } from './commands/inspect.js';
import { runCommand } from './commands/run.js';
import { processIO, UsageError, type CommandIO } from './commands/io.js';

const USAGE = `Usage: cadf-exporter <command> [options]

Commands:
  run        consume CADF notifications from RabbitMQ; export OTLP logs and Prometheus metrics
  inspect    decode message bodies offline and print the log records they become
  config     print the effective configuration (secrets redacted)
  simulate   publish realistic CADF traffic to RabbitMQ (demos, dashboards and alert tests)
  tail       follow the live events in a terminal, one line each (filters, --json)

Run "cadf-exporter <command> --help" for a command's options.`;

type Command = (args: string[], io: CommandIO) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  inspect: inspectCommand,
  config: configCommand,
  simulate: (args, io) => import('./commands/simulate.js').then((m) => m.simulateCommand(args, io)),
  tail: (args, io) => import('./commands/tail.js').then((m) => m.tailCommand(args, io)),
};

export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr(`cadf-exporter: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`cadf-exporter ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
