import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AMQP_URL, type TestNames } from './rabbit.js';
import { TESTDATA } from './testdata.js';

const ROOT = join(TESTDATA, '..', '..');

/** `cadf-exporter run` as a real process, with its env, its stderr log and its metrics port. */
export class ExporterProcess {
  stderr = '';
  stdout = '';
  readonly exited: Promise<number | null>;
  private port: number | undefined;
  private constructor(readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      // The exporter listens on a port the kernel picks (CADF_METRICS_PORT=0), so two tests can
      // never race for one; its "started" line says which.
      if (this.port === undefined) {
        const m = /"metrics":"https?:\/\/[^"]*:(\d+)\/metrics"/.exec(this.stderr);
        if (m) this.port = Number(m[1]);
      }
    });
    child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** The metrics port, once the exporter has said it started (see waitStarted). */
  get metricsPort(): number {
    if (this.port === undefined) throw new Error(`exporter has not started yet:\n${this.stderr}`);
    return this.port;
  }

  /** Resolves once the "started" line names the metrics port. */
  async waitStarted(timeoutMs = 20_000): Promise<number> {
    await waitFor(() => this.port !== undefined || this.child.exitCode !== null, timeoutMs, () => `exporter did not start:\n${this.stderr}`);
    return this.metricsPort;
  }

  static spawn(env: Record<string, string>, args: string[] = []): ExporterProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), 'run', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        CADF_METRICS_HOST: '127.0.0.1',
        CADF_METRICS_PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ExporterProcess(child);
  }

  /** The env that points an exporter at a test's own exchanges, queues and receiver. */
  static envFor(names: TestNames, otlpUrl: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
    return {
      CADF_AMQP_URL: AMQP_URL,
      CADF_AMQP_EXCHANGES: names.exchanges.join(','),
      CADF_AMQP_QUEUE: names.queue,
      CADF_AMQP_DEAD_LETTER_QUEUE: names.deadLetterQueue,
      CADF_AMQP_RECONNECT_INITIAL_DELAY_MS: '200',
      CADF_AMQP_RECONNECT_MAX_DELAY_MS: '2000',
      CADF_EXPORT_RETRY_MAX_DELAY_MS: '2000',
      CADF_LOG_LEVEL: 'info',
      // Its own name memory: a restart with the same env finds the names it learned.
      CADF_DATA_DIR: mkdtempSync(join(tmpdir(), `cadf-data-${names.id}-`)),
      ...(otlpUrl !== undefined ? { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: otlpUrl } : {}),
      ...extra,
    };
  }

  async get(path: string): Promise<{ status: number; text: string }> {
    if (this.port === undefined) throw new Error('exporter has not started yet');
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`);
    return { status: res.status, text: await res.text() };
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    await waitFor(async () => (await this.get('/readyz').catch(() => ({ status: 0 }))).status === 200, timeoutMs, () => `exporter not ready:\n${this.stderr}`);
  }

  /** The value of one sample on /metrics (0 when absent), e.g. metric('cadf_events_total', {category: 'api'}). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = (await this.get('/metrics')).text;
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const m = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
    }
    return sum;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Waits for a server's readiness URL (Prometheus', Alertmanager's /-/ready) to answer 200. */
export async function waitHttpReady(url: string, timeoutMs: number, message: () => string): Promise<void> {
  await waitFor(async () => (await fetch(url).then((r) => r.status, () => 0)) === 200, timeoutMs, message);
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(message());
}
