// Writes deploy/kubernetes/generated/ from dashboards/: the alert rules as a PrometheusRule and
// the Grafana dashboards as ConfigMaps for Grafana's sidecar. Run: npm run kubernetes
// test/deploy/kubernetes.test.ts fails when the committed files differ from what this writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { kubernetesFiles } from './kubernetes/generate.js';

const dir = new URL('../deploy/kubernetes/generated/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [file, text] of Object.entries(kubernetesFiles())) {
  writeFileSync(new URL(file, dir), text);
  console.log(`deploy/kubernetes/generated/${file} written`);
}
