// Rewrites the Grafana dashboards under dashboards/ from scripts/dashboards/. Run: npm run dashboards
// test/dashboards/structure.test.ts fails when the committed JSON differs from what this writes.
import { writeFileSync } from 'node:fs';
import { DASHBOARDS, dashboardText } from './dashboards/index.js';

for (const file of Object.keys(DASHBOARDS)) {
  writeFileSync(new URL(`../dashboards/${file}`, import.meta.url), dashboardText(file));
  console.log(`dashboards/${file} written`);
}
