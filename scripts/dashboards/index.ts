/** Every dashboard under dashboards/, by file name, and its JSON text as committed. */
import { apiDashboard } from './api.js';
import type { JsonObject } from './grafana.js';
import { healthDashboard } from './health.js';
import { identityDashboard } from './identity.js';

export const DASHBOARDS: Readonly<Record<string, () => JsonObject>> = {
  'identity-audit.json': identityDashboard,
  'api-audit.json': apiDashboard,
  'exporter-health.json': healthDashboard,
};

export function dashboardText(file: string): string {
  const make = DASHBOARDS[file];
  if (make === undefined) throw new Error(`no dashboard ${file}`);
  return `${JSON.stringify(make(), null, 2)}\n`;
}
