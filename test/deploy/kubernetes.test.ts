// deploy/kubernetes: `kubectl kustomize` renders it without a cluster; every object validates
// against the Kubernetes 1.27 schemas (kubernetes-models) or its operator's CRD schema
// (prometheus-operator, KEDA); the PrometheusRule and dashboards are what dashboards/ holds.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TriggerAuthentication, ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { dashboardFiles, kubernetesFiles, ruleGroups, DASHBOARD_DIR } from '../../scripts/kubernetes/generate.js';

const run = promisify(execFile);
const BASE = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

/** A rendered manifest read field by field (its shape is the schema's, checked by validate()). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

type Validating = new (data: never) => { validate(): void };
const MODELS: Record<string, Validating> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

async function render(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject);
}

function validate(o: K8sObject): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (Model === undefined) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  // kustomize wraps a Secret's base64 at 70 columns; the API server's decoder (Go's
  // encoding/base64) skips the newlines, the schema's "byte" pattern does not: unwrap first.
  if (o.kind === 'Secret' && o.data !== undefined) {
    const data = Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')]));
    o = { ...o, data };
  }
  new Model(o as never).validate();
}

/** The base with the KEDA component, as an operator's overlay would add it. */
function withKeda(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cadf-k8s-'));
  cpSync(BASE, join(dir, 'base'), { recursive: true });
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - base\ncomponents:\n  - base/components/keda\n',
  );
  return dir;
}

describe('deploy/kubernetes', () => {
  it('renders without a cluster, and every object is valid against its schema', async () => {
    const objects = await render(BASE);
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['ConfigMap', 'ConfigMap', 'ConfigMap', 'ConfigMap', 'Deployment', 'PodDisruptionBudget', 'PrometheusRule', 'Secret', 'Service', 'ServiceMonitor'],
    );
    for (const o of objects) expect(() => validate(o), `${o.kind} ${o.metadata.name}`).not.toThrow();
  });

  it('the schema check catches a broken object', async () => {
    const d = (await render(BASE)).find((o) => o.kind === 'Deployment')!;
    const broken = structuredClone(d) as unknown as { spec: { replicas: unknown; template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } } };
    broken.spec.replicas = 'three';
    expect(() => validate(broken as unknown as K8sObject)).toThrow();
    const noPort = structuredClone(d) as unknown as typeof broken;
    noPort.spec.template.spec.containers[0]!.ports[0]!.containerPort = undefined;
    expect(() => validate(noPort as unknown as K8sObject)).toThrow();
  });

  it('runs several non-root, read-only replicas with probes, limits, config and secrets', async () => {
    const objects = await render(BASE);
    const d = objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { replicas: number; template: { spec: Loose } };
    };
    expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    // Config from the generated ConfigMap, secrets as a mounted file named by CADF_CONFIG.
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('cadf-exporter-config-'))!;
    expect(c.envFrom[0].configMapRef.name).toBe(config.metadata.name);
    const secret = objects.find((o) => o.kind === 'Secret')!;
    const vol = pod.volumes.find((v: { secret?: { secretName: string } }) => v.secret !== undefined);
    expect(vol.secret.secretName).toBe(secret.metadata.name);
    const mount = c.volumeMounts.find((m: { name: string }) => m.name === vol.name);
    const cadfConfig = c.env.find((e: { name: string }) => e.name === 'CADF_CONFIG').value as string;
    expect(cadfConfig).toBe(`${mount.mountPath}/config.json`);
    const secretConfig = JSON.parse(Buffer.from((secret as unknown as { data: Record<string, string> }).data['config.json']!, 'base64').toString('utf8'));
    expect(Object.keys(secretConfig).sort()).toEqual(['amqp', 'enrich', 'keystone']);
    expect((config as unknown as { data: Record<string, string> }).data.CADF_AMQP_QUEUE_TYPE).toBe('quorum');
    // The Service, ServiceMonitor and PodDisruptionBudget select these pods.
    const podLabels = (d.spec.template as unknown as { metadata: { labels: Record<string, string> } }).metadata.labels;
    for (const kind of ['Service', 'ServiceMonitor', 'PodDisruptionBudget']) {
      const o = objects.find((x) => x.kind === kind) as unknown as { spec: { selector: Loose } };
      const sel = (o.spec.selector.matchLabels ?? o.spec.selector) as Record<string, string>;
      for (const [k, v] of Object.entries(sel)) expect(podLabels[k], `${kind} ${k}`).toBe(v);
    }
  });

  it('holds the PrometheusRule equal to dashboards/alerts and the dashboards to dashboards/*.json', async () => {
    const objects = await render(BASE);
    const rule = objects.find((o) => o.kind === 'PrometheusRule') as unknown as { spec: { groups: unknown[] } };
    expect(rule.spec.groups).toEqual(ruleGroups());
    const maps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1') as unknown as Array<{ data: Record<string, string> }>;
    const files = dashboardFiles();
    expect(maps.flatMap((m) => Object.keys(m.data)).sort()).toEqual(files);
    for (const m of maps) for (const [f, text] of Object.entries(m.data)) expect(text).toBe(readFileSync(join(DASHBOARD_DIR, f), 'utf8'));
    // And the committed files are what `npm run kubernetes` writes.
    for (const [f, text] of Object.entries(kubernetesFiles())) expect(readFileSync(join(BASE, 'generated', f), 'utf8'), f).toBe(text);
  });

  it("ships a ConfigMap and a Secret the exporter's strict config loader accepts", async () => {
    const objects = await render(BASE);
    const config = objects.find((o) => o.metadata.name.startsWith('cadf-exporter-config-')) as unknown as { data: Record<string, string> };
    const secret = objects.find((o) => o.kind === 'Secret') as unknown as { data: Record<string, string> };
    const file = join(mkdtempSync(join(tmpdir(), 'cadf-k8s-')), 'config.json');
    writeFileSync(file, Buffer.from(secret.data['config.json']!.replace(/\s+/g, ''), 'base64'));
    const c = loadConfig({ env: { ...config.data, CADF_CONFIG: file } });
    expect(c.enrich.storeUrl).toMatch(/^mysql:\/\//);
    expect(c.enrich.dataDir).toBe('');
    expect(c.amqp.queueType).toBe('quorum');
    expect(c.keystone.applicationCredentialId).toBe('CHANGE-ME');
  });

  it('adds a valid KEDA ScaledObject on the queue when the component is used', async () => {
    const objects = await render(withKeda());
    const so = objects.find((o) => o.kind === 'ScaledObject') as unknown as { spec: { scaleTargetRef: { name: string }; triggers: Array<{ type: string; metadata: Record<string, string> }> } };
    expect(so.spec.scaleTargetRef.name).toBe('cadf-exporter');
    const config = objects.find((o) => o.metadata.name.startsWith('cadf-exporter-config-')) as unknown as { data: Record<string, string> };
    expect(so.spec.triggers[0]).toMatchObject({ type: 'rabbitmq', metadata: { queueName: config.data.CADF_AMQP_QUEUE } });
    for (const o of objects) expect(() => validate(o), `${o.kind} ${o.metadata.name}`).not.toThrow();
  });
});
