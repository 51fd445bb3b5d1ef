// A real Prometheus (Debian's /usr/bin/prometheus) for tests: loopback only, its TSDB and config in a
// temp dir, stopped by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { waitHttpReady } from '../support/exporter.js';
import { ALERT_DIR, ROOT } from './queries.js';

export const PROMETHEUS_BIN = process.env.CADF_TEST_PROMETHEUS ?? '/usr/bin/prometheus';

export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface RuleState {
  readonly name: string;
  readonly type: 'alerting' | 'recording';
  readonly query: string;
  readonly health: string;
  readonly lastError?: string;
  readonly state?: string;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * deploy/prometheus/prometheus.yml (the docker compose stack's) with the test's target, the rule
 * files of this checkout, and a 1 s scrape and evaluation interval.
 */
export function testConfig(target: string, alertmanager?: string, ruleDir: string = ALERT_DIR): string {
  const cfg = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    alerting?: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    rule_files: string[];
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };
  cfg.global.scrape_interval = '1s';
  cfg.global.evaluation_interval = '1s';
  cfg.rule_files = [join(ruleDir, '*.yaml')];
  // The stack's Alertmanager, replaced by the test's, or none.
  if (alertmanager !== undefined && cfg.alerting !== undefined) cfg.alerting.alertmanagers[0]!.static_configs[0]!.targets = [alertmanager];
  else delete cfg.alerting;
  const job = cfg.scrape_configs.find((j) => j.job_name === 'cadf-exporter');
  if (job === undefined) throw new Error('deploy/prometheus/prometheus.yml has no cadf-exporter job');
  job.static_configs[0]!.targets = [target];
  return stringify(cfg);
}

export class PrometheusProcess {
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

  get pid(): number {
    return this.child.pid!;
  }

  static async start(configText: string): Promise<PrometheusProcess> {
    if (!existsSync(PROMETHEUS_BIN)) throw new Error(`${PROMETHEUS_BIN} not found: install Debian's prometheus package (bash scripts/ci-deps.sh)`);
    const dir = mkdtempSync(join(tmpdir(), 'cadf-prometheus-'));
    writeFileSync(join(dir, 'prometheus.yml'), configText);
    const port = await freePort();
    const child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const p = new PrometheusProcess(child, port, dir);
    await waitHttpReady(`${p.url}/-/ready`, 20_000, () => `Prometheus not ready:\n${p.stderr}`);
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An instant query; throws with Prometheus's error when the expression does not parse. */
  async query(expr: string): Promise<Sample[]> {
    const res = await fetch(`${this.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }).toString(),
    });
    const doc = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Sample[] | [number, string] } };
    if (doc.status !== 'success') throw new Error(`${expr}\n-> ${doc.error ?? res.status}`);
    const r = doc.data!;
    // A scalar (time(), a constant) is one value.
    return r.resultType === 'scalar' ? [{ metric: {}, value: r.result as [number, string] }] : (r.result as Sample[]);
  }

  async rules(): Promise<RuleState[]> {
    const doc = (await (await fetch(`${this.url}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: RuleState[] }> } };
    return doc.data.groups.flatMap((g) => g.rules);
  }

  /** Stops it by its pid (SIGTERM, then SIGKILL after 10 s) and removes its temp dir. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, 'SIGKILL');
      }, 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
