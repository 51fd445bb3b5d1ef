// A real Alertmanager (Debian's prometheus-alertmanager) for tests, and the webhook receiver it
// notifies: loopback only, its own storage dir and port, gossip off, stopped by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../dashboards/prometheus.js';
import { waitHttpReady } from './exporter.js';

export const ALERTMANAGER_BIN = process.env.CADF_TEST_ALERTMANAGER ?? '/usr/bin/prometheus-alertmanager';

/** One alert of a webhook notification (Alertmanager's webhook payload). */
export interface WebhookAlert {
  readonly status: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
}

export interface WebhookMessage {
  readonly receiver: string;
  readonly status: string;
  readonly alerts: WebhookAlert[];
  readonly groupLabels: Record<string, string>;
}

/** What a person would be sent: every webhook notification Alertmanager posts. */
export class WebhookReceiver {
  readonly messages: WebhookMessage[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.messages.push(JSON.parse(Buffer.concat(chunks).toString()) as WebhookMessage);
      res.writeHead(200).end();
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Firing alerts received so far, across notifications. */
  get alerts(): WebhookAlert[] {
    return this.messages.flatMap((m) => m.alerts);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A config routing everything to one webhook, at once (group_wait 1 s; the default is 30 s). */
export function webhookConfig(url: string): string {
  return [
    'route:',
    '  receiver: hook',
    '  group_by: [alertname, record_uid]',
    '  group_wait: 1s',
    '  group_interval: 1s',
    '  repeat_interval: 1h',
    'receivers:',
    '  - name: hook',
    '    webhook_configs:',
    `      - url: '${url}'`,
    '        send_resolved: false',
    '',
  ].join('\n');
}

export class AlertmanagerProcess {
  stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static async start(configText: string, port?: number): Promise<AlertmanagerProcess> {
    if (!existsSync(ALERTMANAGER_BIN)) throw new Error(`${ALERTMANAGER_BIN} not found: install Debian's prometheus-alertmanager (bash scripts/ci-deps.sh)`);
    const dir = mkdtempSync(join(tmpdir(), 'cadf-alertmanager-'));
    writeFileSync(join(dir, 'alertmanager.yml'), configText);
    const p = port ?? (await freePort());
    const child = spawn(
      ALERTMANAGER_BIN,
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${p}`,
        // Empty: no gossip cluster (by default it listens on 9094, which two tests would share).
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const am = new AlertmanagerProcess(child, p, dir);
    await waitHttpReady(`${am.url}/-/ready`, 20_000, () => `Alertmanager not ready:\n${am.stderr}`);
    return am;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops it by its pid (SIGTERM, then SIGKILL after 10 s); keeps its dir unless told. */
  async stop(remove = true): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.child.pid!, 'SIGTERM');
      const timer = setTimeout(() => {
        if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.child.pid!, 'SIGKILL');
      }, 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (remove) rmSync(this.dir, { recursive: true, force: true });
  }
}
