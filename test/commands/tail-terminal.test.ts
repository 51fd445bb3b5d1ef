// `cadf-exporter tail` as a person runs it: in a real terminal (tmux, on a server of the test's
// own socket), read back with capture-pane. Coloured lines on a TTY, none with NO_COLOR, and
// Ctrl-C ends it with status 0 and its queue gone.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/exporter.js';
import { withNewId } from '../support/messages.js';
import { AMQP_URL, Broker, testNames } from '../support/rabbit.js';
import { cases, TESTDATA } from '../support/testdata.js';

const run = promisify(execFile);
const ROOT = join(TESTDATA, '..', '..');
const body = (name: string) => cases(name.endsWith('.bin') ? 'cornercases' : 'samples').find((c) => c.name === name)!.body.toString();

/** A tmux server of its own (-L), so the test never touches anyone's sessions; killed at the end. */
class Terminal {
  constructor(private readonly socket: string) {}

  async tmux(...args: string[]): Promise<string> {
    return (await run('tmux', ['-L', this.socket, ...args])).stdout;
  }

  async start(command: string): Promise<void> {
    // A plain shell at 200 columns; the command is typed in, so its exit status can be echoed.
    await this.tmux('new-session', '-d', '-s', 'main', '-x', '200', '-y', '50', 'sh');
    await this.tmux('send-keys', '-t', 'main', command, 'Enter');
  }

  /** The screen; `escapes` keeps the colour escape sequences. */
  async screen(escapes = false): Promise<string> {
    return this.tmux('capture-pane', '-p', '-J', ...(escapes ? ['-e'] : []), '-t', 'main');
  }

  async stop(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
  }
}

async function queueExists(name: string): Promise<boolean> {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  try {
    await ch.checkQueue(name);
    return true;
  } catch (err) {
    return (err as { code?: number }).code === 405; // exists, exclusive to the tail's connection
  } finally {
    await conn.close().catch(() => undefined);
  }
}

function tailCommandLine(names: ReturnType<typeof testNames>, env: string): string {
  return (
    `cd ${ROOT} && ${env} CADF_AMQP_URL=${AMQP_URL} CADF_AMQP_EXCHANGES=${names.exchanges.join(',')} ` +
    `${process.execPath} --import tsx src/cli.ts tail; echo "EXIT=$?"`
  );
}

describe('tail in a terminal', () => {
  it.each([
    ['coloured', ''],
    ['NO_COLOR', 'NO_COLOR=1'],
  ])('%s: one line per event; Ctrl-C exits 0 and its queue is gone', async (kind, env) => {
    const names = testNames('tail-tty');
    const term = new Terminal(`cadf-${names.id}`);
    const broker = await Broker.connect();
    for (const e of names.exchanges) await broker.declareLikeOslo(e);
    try {
      await term.start(tailCommandLine(names, env));
      let queue = '';
      await waitFor(
        async () => {
          queue = /on queue (\S+);/.exec(await term.screen())?.[1] ?? '';
          return queue !== '';
        },
        20_000,
        () => 'tail did not start',
      );
      expect(await queueExists(queue)).toBe(true);
      await broker.publish(names.exchanges[0]!, [
        withNewId(body('keystone-authenticate-success-internal-password-recheck.json')).body,
        withNewId(body('quirk-user-deleted-no-initiator.bin')).body,
      ]);
      await waitFor(async () => (await term.screen()).includes('USER DELETED'), 10_000, () => 'no line');
      const plain = await term.screen();
      expect(plain).toMatch(/^\d\d:\d\d:\d\d USER AUTH: success: user grace from 127\.0\.0\.1$/m);
      expect(plain).toMatch(/^\d\d:\d\d:\d\d USER DELETED: success: user grace by unknown$/m);
      const raw = await term.screen(true);
      if (kind === 'coloured') expect(raw).toContain('\u001b[33mUSER DELETED: success:');
      else for (const c of ['31', '32', '33']) expect(raw).not.toContain(`\u001b[${c}m`);

      await term.tmux('send-keys', '-t', 'main', 'C-c');
      // What the shell prints after it (`^CEXIT=0`), not the typed command (`"EXIT=$?"`).
      await waitFor(async () => /EXIT=\d+$/m.test(await term.screen()), 10_000, () => 'tail did not exit on Ctrl-C');
      expect(await term.screen()).toMatch(/EXIT=0$/m);
      expect(await queueExists(queue)).toBe(false);
    } finally {
      await term.stop();
      await broker.cleanup(names);
    }
  }, 60_000);
});
