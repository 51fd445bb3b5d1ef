import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface PrivateRabbitOptions {
  /** Extra rabbitmq.conf lines (TLS listeners, ...). */
  readonly extraConfig?: string[];
  /** Files to place in the node's directory before start (certificates), by name. */
  readonly files?: Record<string, string | Buffer>;
}

/**
 * A RabbitMQ node of the test's own: own node name, ports, data and log directories, no plugins.
 * Tests that stop, restart or cut a broker use one, so the machine's broker (127.0.0.1:5672) and
 * its other clients are never touched. Debian's rabbitmq-server re-executes itself as the
 * `rabbitmq` user, so everything it uses is owned by that user.
 */
export class PrivateRabbit {
  private constructor(
    readonly nodename: string,
    readonly port: number,
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}/`;
  }

  /** A path inside the node's directory (where `files` were written). */
  file(name: string): string {
    return join(this.dir, name);
  }

  static async start(name: string, options: PrivateRabbitOptions = {}): Promise<PrivateRabbit> {
    const dir = mkdtempSync(join(tmpdir(), `cadf-rabbit-${name}-`));
    const port = await freePort();
    const dist = await freePort();
    const nodename = `cadf-${name}-${process.pid}-${port}@localhost`;
    for (const d of ['mnesia', 'log']) mkdirSync(join(dir, d));
    writeFileSync(
      join(dir, 'rabbitmq.conf'),
      [`listeners.tcp.local = 127.0.0.1:${port}`, 'loopback_users = none', ...(options.extraConfig ?? [])].join('\n') + '\n',
    );
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    for (const [file, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, file), content);
    await run('chown', ['-R', 'rabbitmq:rabbitmq', dir]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RABBITMQ_NODENAME: nodename,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(dist),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    };
    const node = new PrivateRabbit(nodename, port, dir, env);
    await run('rabbitmq-server', ['-detached'], { env, timeout: 60_000 });
    // `wait` polls for the pid file, then for the app: await_startup alone fails while the
    // detached node has not registered with epmd yet.
    await node.ctl('wait', '--timeout', '90', join(dir, 'rabbit.pid'));
    return node;
  }

  /** rabbitmqctl against this node only. */
  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await run('rabbitmqctl', ['-n', this.nodename, ...args], { env: this.env, timeout: 120_000 });
    return stdout;
  }

  /** Stops the RabbitMQ application (connections drop, the node process and data stay). */
  async stopApp(): Promise<void> {
    await this.ctl('stop_app');
  }

  async startApp(): Promise<void> {
    await this.ctl('start_app');
    await this.ctl('await_startup', '--timeout', '90');
  }

  /** Closes every client connection of this node, as an operator or a failover would. */
  async closeAllConnections(reason = 'test: broker-side close'): Promise<void> {
    await this.ctl('close_all_connections', reason);
  }

  /** Stops the node and removes its directory. */
  async stop(): Promise<void> {
    await this.ctl('stop').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
