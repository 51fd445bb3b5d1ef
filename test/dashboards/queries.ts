// What the dashboards and rule files ask of Prometheus and Loki: every PromQL and LogQL expression,
// where it comes from, and the template variables substituted as Grafana would.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@grafana/lezer-logql';
import { parse as parseYaml } from 'yaml';
import { ATTR } from '../../src/cadf/attributes.js';
import { TESTDATA } from '../support/testdata.js';

export const ROOT = join(TESTDATA, '..', '..');
export const DASHBOARD_DIR = join(ROOT, 'dashboards');
export const ALERT_DIR = join(DASHBOARD_DIR, 'alerts');
export const LOKI_RULE_DIR = join(DASHBOARD_DIR, 'loki-rules');

/** The parts of Grafana's dashboard JSON the tests read (cast once, at load). */
export interface DatasourceRef {
  readonly type: string;
  readonly uid: string;
}

export interface Target {
  readonly refId: string;
  readonly expr: string;
  readonly datasource?: DatasourceRef;
  readonly legendFormat?: string;
  readonly instant?: boolean;
  readonly queryType?: string;
  readonly maxLines?: number;
}

export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly datasource?: DatasourceRef;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly targets?: Target[];
  readonly panels?: Panel[];
  readonly fieldConfig?: {
    readonly defaults: {
      readonly unit?: string;
      readonly thresholds?: { readonly steps: Array<{ readonly color: string; readonly value: number | null }> };
      readonly custom?: { readonly thresholdsStyle?: { readonly mode: string } };
    };
  };
  readonly transformations?: Array<{ readonly id: string; readonly options: Record<string, unknown> }>;
}

export interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query: string };
  readonly datasource?: DatasourceRef;
  readonly current?: unknown;
}

export interface DashboardJson {
  readonly uid: string;
  readonly title: string;
  readonly description?: string;
  readonly schemaVersion: number;
  readonly time?: { readonly from: string; readonly to: string };
  readonly refresh?: string;
  readonly panels: Panel[];
  readonly templating: { readonly list: Variable[] };
}

export interface Dashboard {
  readonly file: string;
  readonly json: DashboardJson;
}

export interface Expr {
  /** Where it was found: `identity-audit.json: panel "Failed logins" A`, `cadf-keystone.yaml: KeystoneAuthFailureBurst`. */
  readonly source: string;
  readonly expr: string;
}

export interface Rule {
  readonly file: string;
  readonly group: string;
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export function dashboards(): Dashboard[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as DashboardJson }));
}

/** Every panel, rows and the panels inside collapsed rows included. */
export function panels(d: DashboardJson): Panel[] {
  const out: Panel[] = [];
  for (const p of d.panels) {
    out.push(p);
    for (const inner of p.panels ?? []) out.push(inner);
  }
  return out;
}

function ruleFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(dir, f));
}

export function rules(dir: string): Rule[] {
  const out: Rule[] = [];
  for (const path of ruleFiles(dir)) {
    const doc = parseYaml(readFileSync(path, 'utf8')) as { groups: Array<{ name: string; rules: Array<Omit<Rule, 'file' | 'group'>> }> };
    for (const g of doc.groups) {
      for (const r of g.rules) out.push({ file: path.slice(dir.length + 1), group: g.name, ...r });
    }
  }
  return out;
}

export const ruleFilesIn = ruleFiles;

function datasourceType(panel: Panel, target: Target): string {
  return target.datasource?.type ?? panel.datasource?.type ?? '';
}

/** The expressions of every panel target on one datasource type, with their panel's name. */
export function dashboardExprs(type: 'prometheus' | 'loki'): Expr[] {
  const out: Expr[] = [];
  for (const d of dashboards()) {
    for (const p of panels(d.json)) {
      for (const t of p.targets ?? []) {
        if (datasourceType(p, t) === type) out.push({ source: `${d.file}: panel "${p.title}" ${t.refId}`, expr: t.expr });
      }
    }
  }
  return out;
}

/** Query variables on Prometheus (`label_values(metric{...}, label)`), as PromQL that lists the values. */
export function variableExprs(): Expr[] {
  const out: Expr[] = [];
  for (const d of dashboards()) {
    for (const v of d.json.templating.list) {
      if (v.type !== 'query') continue;
      const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q);
      if (!m) throw new Error(`${d.file}: variable ${v.name}: unexpected query ${q}`);
      out.push({ source: `${d.file}: variable ${v.name}`, expr: `group by (${m[2]}) (${m[1]})` });
    }
  }
  return out;
}

/** The values the tests give the template variables (what Grafana substitutes with "All" or the default). */
export const TEST_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __range: '5m',
  __auto: '1m',
  __interval: '15s',
  job: 'cadf-exporter',
  cloud_region: '.*',
  instance: '.+',
  service_name: 'openstack',
};

export function substitute(expr: string, values: Readonly<Record<string, string>> = TEST_VARIABLES): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const v = values[name];
    if (v === undefined) throw new Error(`no test value for $${name} in ${expr}`);
    return v;
  });
}

/**
 * Names a LogQL query may use: the exporter's log attributes as Loki stores them (structured
 * metadata, non-alphanumerics replaced by `_`), Loki's own fields, and the resource attributes
 * Loki indexes as stream labels.
 */
export function lokiNames(): Set<string> {
  const names = new Set(Object.values(ATTR).map((k) => k.replace(/[^A-Za-z0-9]/g, '_')));
  for (const n of ['service_name', 'event_name', 'severity_text', 'severity_number', 'detected_level', 'cloud_region', 'deployment_environment_name', 'service_namespace']) names.add(n);
  return names;
}

export interface ParsedLogQL {
  readonly errors: string[];
  /** Label and structured-metadata names the query refers to. */
  readonly names: string[];
  readonly isMetric: boolean;
}

/** Parses with Grafana's own LogQL grammar (the one its query editor uses). */
export function parseLogQL(expr: string): ParsedLogQL {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const names: string[] = [];
  let isMetric = false;
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: "${expr.slice(Math.max(0, node.from - 20), node.to + 20)}"`);
      if (node.name === 'Identifier') names.push(expr.slice(node.from, node.to));
      if (node.name === 'MetricExpr') isMetric = true;
    },
  });
  return { errors, names, isMetric };
}

/** Every LogQL expression: dashboard targets and Loki ruler rules. */
export function logqlExprs(): Expr[] {
  return [
    ...dashboardExprs('loki'),
    ...rules(LOKI_RULE_DIR).map((r) => ({ source: `${r.file}: ${r.alert ?? r.record ?? '?'}`, expr: r.expr })),
  ];
}
