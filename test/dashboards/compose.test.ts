// docker-compose.yml as Compose itself reads it (`docker-compose config`: Debian's docker-compose,
// no Docker engine needed), the Dockerfile the exporter and the simulator are built from, and the
// files the stack mounts: Prometheus, Loki and Grafana provisioning.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseOptions } from '../../src/commands/simulate.js';
import { waitFor } from '../support/exporter.js';
import { freePort } from './prometheus.js';
import { ROOT, dashboards } from './queries.js';

const run = promisify(execFile);

interface Service {
  image?: string;
  build?: { context: string };
  command?: string[] | string;
  environment?: Record<string, string | null>;
  ports?: Array<string | { published?: string | number; host_ip?: string }>;
  volumes?: Array<string | { source?: string; target?: string; type?: string }>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  read_only?: boolean;
  user?: string;
  cap_drop?: string[];
  security_opt?: string[];
}

let services: Record<string, Service>;

beforeAll(async () => {
  let stdout: string;
  try {
    ({ stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, timeout: 60_000 }));
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('docker-compose not found: install Debian\'s docker-compose package (bash scripts/ci-deps.sh)');
    throw new Error(`docker-compose config failed: ${e.stderr ?? e.message}`);
  }
  services = (parseYaml(stdout) as { services: Record<string, Service> }).services;
});

/** Host side of each bind mount, relative to the repo. */
function mounts(s: Service): Array<{ source: string; target: string }> {
  return (s.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      return { source, target };
    }
    return { source: v.source ?? '', target: v.target ?? '' };
  });
}

function command(s: Service): string {
  return Array.isArray(s.command) ? s.command.join(' ') : (s.command ?? '');
}

describe('docker-compose.yml', () => {
  it('is valid Compose and has the whole stack', () => {
    expect(Object.keys(services).sort()).toEqual(['alertmanager', 'exporter', 'grafana', 'loki', 'prometheus', 'rabbitmq', 'simulator', 'webhook']);
  });

  it('builds the exporter from the repo and runs `node dist/cli.js run`; the simulator is that image running simulate', () => {
    const ex = services.exporter!;
    expect(ex.build?.context).toBe(ROOT);
    expect(ex.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://loki:3100/otlp');
    expect(ex.environment?.CADF_AMQP_URL).toMatch(/^amqp:\/\/[^@]+@rabbitmq:5672\//);
    expect(ex.environment?.OTEL_RESOURCE_ATTRIBUTES).toContain('cloud.region=');
    const sim = services.simulator!;
    expect(sim.image).toBe(ex.image);
    expect(command(sim)).toMatch(/^node dist\/cli\.js simulate /);
    expect(sim.environment?.CADF_AMQP_URL).toBe(ex.environment?.CADF_AMQP_URL);
    // The image's HEALTHCHECK is the exporter's /readyz: the simulator turns it off (Compose v1
    // prints `disable: true` as the test NONE).
    const hc = sim.healthcheck;
    expect(hc?.disable === true || (Array.isArray(hc?.test) && hc.test[0] === 'NONE'), JSON.stringify(hc)).toBe(true);
  });

  it('starts in order, on health', () => {
    const dep = (s: string): Record<string, string> => Object.fromEntries(Object.entries(services[s]!.depends_on ?? {}).map(([k, v]) => [k, v.condition]));
    expect(dep('exporter')).toEqual({ rabbitmq: 'service_healthy', loki: 'service_healthy', alertmanager: 'service_healthy' });
    expect(dep('prometheus')).toMatchObject({ alertmanager: 'service_healthy' });
    expect(dep('simulator')).toMatchObject({ rabbitmq: 'service_healthy', exporter: 'service_healthy' });
    expect(dep('grafana')).toMatchObject({ prometheus: 'service_healthy', loki: 'service_healthy' });
    expect(Object.keys(dep('prometheus'))).toContain('exporter');
    for (const name of ['rabbitmq', 'loki', 'prometheus', 'alertmanager', 'grafana']) expect(services[name]!.healthcheck?.test, name).toBeTruthy();
  });

  it('mounts files that exist: Prometheus with the rules, Loki with the ruler rules, Grafana provisioned', () => {
    const src = (service: string, target: string): string => {
      const m = mounts(services[service]!).find((x) => x.target === target);
      expect(m, `${service} mounts ${target}`).toBeDefined();
      expect(existsSync(m!.source), m!.source).toBe(true);
      return m!.source;
    };
    expect(src('prometheus', '/etc/prometheus/prometheus.yml')).toBe(join(ROOT, 'deploy/prometheus/prometheus.yml'));
    expect(src('prometheus', '/etc/prometheus/rules')).toBe(join(ROOT, 'dashboards/alerts'));
    expect(src('loki', '/etc/loki/loki.yaml')).toBe(join(ROOT, 'deploy/loki/loki.yaml'));
    expect(src('loki', '/etc/loki/rules/fake')).toBe(join(ROOT, 'dashboards/loki-rules'));
    expect(src('alertmanager', '/etc/alertmanager/alertmanager.yml')).toBe(join(ROOT, 'deploy/alertmanager/alertmanager.yml'));
    expect(src('webhook', '/etc/webhook/print-notifications.mjs')).toBe(join(ROOT, 'deploy/alertmanager/print-notifications.mjs'));
    expect(src('grafana', '/etc/grafana/provisioning')).toBe(join(ROOT, 'deploy/grafana/provisioning'));
    expect(src('grafana', '/var/lib/grafana/dashboards')).toBe(join(ROOT, 'dashboards'));
    const g = services.grafana!.environment!;
    expect(g.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(g.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(command(services.loki!)).toContain('-config.file=/etc/loki/loki.yaml');
    expect(services.loki!.image).toMatch(/^grafana\/loki:3\./);
    expect(services.rabbitmq!.image).toMatch(/^rabbitmq:.*management/);
  });

  it('runs the exporter and the simulator unprivileged on a read-only root file system; the image is non-root', () => {
    for (const name of ['exporter', 'simulator']) {
      const s = services[name]!;
      expect(s.read_only, name).toBe(true);
      expect(s.user, name).toBe('node');
      expect(s.cap_drop, name).toEqual(['ALL']);
      expect(s.security_opt, name).toContain('no-new-privileges:true');
    }
    // What it writes goes to the /data volume, the only writable place.
    expect(mounts(services.exporter!).map((m) => m.target)).toContain('/data');
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('node');
    expect(dockerfile).toMatch(/ENV[^\n]*\n(?:[^\n]*\\\n)*[^\n]*CADF_DATA_DIR=\/data/);
  });

  it('publishes ports on the loopback only', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const p of s.ports ?? []) {
        const hostIp = typeof p === 'string' ? p.split(':')[0] : p.host_ip;
        expect(hostIp, `${name} ${JSON.stringify(p)}`).toBe('127.0.0.1');
      }
    }
  });
});

describe('the files the stack mounts', () => {
  it('Prometheus scrapes the exporter as job cadf-exporter and loads the rule directory', () => {
    const cfg = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[]; labels?: Record<string, string> }> }>;
    };
    expect(cfg.rule_files).toEqual(['/etc/prometheus/rules/*.yaml']);
    const job = cfg.scrape_configs.find((j) => j.job_name === 'cadf-exporter');
    expect(job?.static_configs[0]?.targets).toEqual(['exporter:9464']);
    expect(job?.static_configs[0]?.labels?.cloud_region).toBeTruthy();
  });

  it('Loki takes OTLP with structured metadata and runs the ruler on the mounted rules', () => {
    const cfg = parseYaml(readFileSync(join(ROOT, 'deploy/loki/loki.yaml'), 'utf8')) as {
      auth_enabled: boolean;
      limits_config: Record<string, unknown>;
      schema_config: { configs: Array<{ store: string; schema: string }> };
      ruler: { storage: { type: string; local: { directory: string } }; enable_api: boolean };
    };
    expect(cfg.auth_enabled).toBe(false); // tenant "fake": rules in /etc/loki/rules/fake
    expect(cfg.limits_config.allow_structured_metadata).toBe(true);
    expect(cfg.schema_config.configs.at(-1)).toMatchObject({ store: 'tsdb', schema: 'v13' });
    expect(cfg.ruler.storage).toEqual({ type: 'local', local: { directory: '/etc/loki/rules' } });
    expect(cfg.ruler.enable_api).toBe(true);
    expect((cfg.ruler as { alertmanager_url?: string }).alertmanager_url).toBe('http://alertmanager:9093');
  });

  it('the exporter, Prometheus and Loki send to the Alertmanager, which routes to the webhook', async () => {
    const ex = services.exporter!.environment!;
    expect(ex.CADF_NOTIFY_ALERTMANAGER_URL).toBe('http://alertmanager:9093');
    expect(ex.CADF_NOTIFY_BUILTIN_RULES).toBe('true');
    const prom = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    };
    expect(prom.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual(['alertmanager:9093']);
    const am = parseYaml(readFileSync(join(ROOT, 'deploy/alertmanager/alertmanager.yml'), 'utf8')) as {
      receivers: Array<{ name: string; webhook_configs?: Array<{ url: string }> }>;
    };
    for (const r of am.receivers) expect(r.webhook_configs?.[0]?.url, r.name).toMatch(/^http:\/\/webhook:8080\//);
    // Alertmanager's own check of the file (amtool, from Debian's prometheus-alertmanager).
    const { stdout } = await run('amtool', ['check-config', join(ROOT, 'deploy/alertmanager/alertmanager.yml')]);
    expect(stdout).toContain('SUCCESS');
  });

  it('the webhook stand-in prints a notification as a person reads it', async () => {
    const { spawn } = await import('node:child_process');
    const port = await freePort();
    const child = spawn(process.execPath, [join(ROOT, 'deploy/alertmanager/print-notifications.mjs')], { env: { PORT: String(port) } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', () => reject(new Error(`exited: ${out}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}/identity`, {
        method: 'POST',
        body: JSON.stringify({
          alerts: [
            {
              status: 'firing',
              labels: { alertname: 'KeystoneUserDeleted', severity: 'warning', cloud_region: 'RegionOne' },
              annotations: { summary: 'A user was deleted.', description: 'USER DELETED: success: user alice (7ec4) by admin from 10.0.0.5', when: '2026-11-23T00:04:10Z', log_record_uid: 'u1' },
            },
          ],
        }),
      });
      expect(res.status).toBe(200);
      await waitFor(() => out.includes('record: u1'), 5000, () => out);
      expect(out).toContain(
        '[FIRING] KeystoneUserDeleted (warning, RegionOne)\n  A user was deleted.\n  USER DELETED: success: user alice (7ec4) by admin from 10.0.0.5\n  when: 2026-11-23T00:04:10Z\n  record: u1\n',
      );
    } finally {
      child.kill();
    }
  });

  it('Grafana provisions both datasources and the dashboards folder', () => {
    const ds = parseYaml(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/datasources.yaml'), 'utf8')) as {
      datasources: Array<{ type: string; url: string; access: string }>;
    };
    expect(ds.datasources.map((d) => [d.type, d.url, d.access])).toEqual([
      ['prometheus', 'http://prometheus:9090', 'proxy'],
      ['loki', 'http://loki:3100', 'proxy'],
    ]);
    const dash = parseYaml(readFileSync(join(ROOT, 'deploy/grafana/provisioning/dashboards/dashboards.yaml'), 'utf8')) as {
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(dash.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => !l.trimStart().startsWith('#'));

  it('is a multi-stage build on Node 24 LTS', () => {
    const froms = lines.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-(alpine|bookworm-slim)$/m);
    for (const f of froms) expect(f).toMatch(/^FROM \$\{NODE_IMAGE\}/);
  });

  it('runs as a non-root user, with a health check on /readyz, `node dist/cli.js run`', () => {
    const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
    // The HEALTHCHECK runs scripts/healthcheck.mjs (it speaks TLS and basic auth when the metrics
    // server is locked), which asks /readyz.
    expect(text).toMatch(/HEALTHCHECK [\s\S]*CMD \["node", "healthcheck\.mjs"\]/);
    expect(text).toMatch(/^COPY scripts\/healthcheck\.mjs \.\/healthcheck\.mjs$/m);
    expect(readFileSync(join(ROOT, 'scripts/healthcheck.mjs'), 'utf8')).toMatch(/path: '\/readyz'/);
    expect(lines.filter((l) => l.startsWith('CMD ')).at(-1)).toBe('CMD ["node", "dist/cli.js", "run"]');
    // The runtime stage has production dependencies only and what dist/ reads at run time.
    expect(text).toContain('npm ci --omit=dev');
    for (const f of ['package.json', 'config']) expect(text).toMatch(new RegExp(`^COPY ${f} `, 'm'));
  });

  it('.dockerignore keeps node_modules, dist, .git and the tests out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git', 'test']) expect(ignored).toContain(p);
    // scripts/ is out but for the HEALTHCHECK the Dockerfile copies; the exception comes after it.
    expect(ignored.indexOf('!scripts/healthcheck.mjs')).toBeGreaterThan(ignored.indexOf('scripts'));
    for (const p of ['src', 'config', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(ignored).not.toContain(p);
  });
});

describe('README "See it: docker compose"', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## See it: docker compose');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));

  it('follows "Configure Keystone", names Grafana\'s address and every dashboard', () => {
    expect(start).toBeGreaterThan(readme.indexOf('## Configure Keystone'));
    expect(section).toContain('http://localhost:3000');
    for (const d of dashboards()) expect(section, d.json.title).toContain(d.json.title);
  });

  it('triggers the alert with simulate options that exist', () => {
    const m = /node dist\/cli\.js simulate \\\n\s+(.+)\n/.exec(section);
    expect(m, 'the simulate command line').not.toBeNull();
    const opts = parseOptions(m![1]!.trim().split(/\s+/));
    expect(opts).toMatchObject({ failureRatio: 0.6, burstEveryS: 30 });
  });
});
