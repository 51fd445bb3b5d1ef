// The Grafana dashboards as JSON: generated (and current), unique uids, every datasource a
// template variable, a sane grid, a description and a unit on every panel, the alert thresholds
// drawn where the alerts are, and only the template variables they define.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS, dashboardText } from '../../scripts/dashboards/index.js';
import { THRESHOLDS } from '../../scripts/dashboards/thresholds.js';
import { ALERT_DIR, DASHBOARD_DIR, dashboards, dashboardExprs, lokiNames, panels, rules, type Panel } from './queries.js';

const all = dashboards();
const DS_VARS: Readonly<Record<string, string>> = { prometheus: '${DS_PROMETHEUS}', loki: '${DS_LOKI}' };
const BUILTIN = new Set(['__rate_interval', '__range', '__auto', '__interval', '__all']);

/** Every `datasource` object anywhere in a JSON tree, with its path. */
function datasourceRefs(node: unknown, path: string, out: Array<{ path: string; ref: unknown }>): void {
  if (Array.isArray(node)) node.forEach((x, i) => datasourceRefs(x, `${path}[${i}]`, out));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'datasource') out.push({ path: `${path}.${k}`, ref: v });
      datasourceRefs(v, `${path}.${k}`, out);
    }
  }
}

function overlaps(a: Panel['gridPos'], b: Panel['gridPos']): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function panel(file: string, title: string): Panel {
  const p = panels(all.find((d) => d.file === file)!.json).find((x) => x.title === title);
  if (p === undefined) throw new Error(`${file}: no panel "${title}"`);
  return p;
}

/** The number an alert compares its signal with: `... > 0.2` on its first line. */
function alertThreshold(name: string): number {
  const r = rules(ALERT_DIR).find((x) => x.alert === name);
  const m = r && /[<>]=?\s*([0-9.]+)/.exec(r.expr.split('\n')[0]!);
  if (!m) throw new Error(`no threshold in ${name}`);
  return Number(m[1]);
}

describe('dashboards', () => {
  it('are the three dashboards, each as scripts/gen-dashboards.ts writes it (npm run dashboards)', () => {
    expect(all.map((d) => d.file).sort()).toEqual(Object.keys(DASHBOARDS).sort());
    for (const file of Object.keys(DASHBOARDS)) {
      expect(readFileSync(join(DASHBOARD_DIR, file), 'utf8'), `${file} is stale: run npm run dashboards`).toBe(dashboardText(file));
    }
  });

  it('have unique uids and titles, the current schema version, a time range and a refresh', () => {
    expect(new Set(all.map((d) => d.json.uid)).size).toBe(all.length);
    expect(new Set(all.map((d) => d.json.title)).size).toBe(all.length);
    for (const { file, json } of all) {
      expect(json.uid, file).toMatch(/^[a-z0-9-]{1,40}$/);
      expect([41, 42], file).toContain(json.schemaVersion);
      expect(json.time?.from, file).toMatch(/^now-/);
      expect(json.refresh, file).toBeTruthy();
      expect(json.description, file).toBeTruthy();
    }
  });

  it.each(all.map((d) => [d.file, d] as const))('%s: every datasource is a template variable, never a hard-coded uid', (file, d) => {
    const refs: Array<{ path: string; ref: unknown }> = [];
    datasourceRefs(d.json, file, refs);
    expect(refs.length).toBeGreaterThan(0);
    for (const { path, ref } of refs) {
      const r = ref as { type?: string; uid?: string };
      // The built-in annotation of every dashboard ("Annotations & Alerts") is Grafana's own.
      if (r.type === 'grafana' && r.uid === '-- Grafana --') continue;
      expect(r.uid, path).toBe(DS_VARS[r.type ?? '']);
    }
    const defined = new Set(d.json.templating.list.map((v) => v.name));
    const usesLoki = panels(d.json).some((p) => p.datasource?.type === 'loki');
    expect(defined.has('DS_PROMETHEUS'), file).toBe(true);
    expect(defined.has('DS_LOKI'), file).toBe(usesLoki);
    for (const v of d.json.templating.list.filter((x) => x.type === 'datasource')) {
      expect(v.query, `${file} ${v.name}`).toBe(v.name === 'DS_LOKI' ? 'loki' : 'prometheus');
    }
  });

  it.each(all.map((d) => [d.file, d] as const))('%s: panels have unique ids, a sane grid, a description, targets and units', (file, d) => {
    const ps = panels(d.json);
    expect(new Set(ps.map((p) => p.id)).size, 'unique panel ids').toBe(ps.length);
    for (const p of ps) {
      const where = `${file}: "${p.title}"`;
      const g = p.gridPos;
      expect(Number.isInteger(g.x) && Number.isInteger(g.y) && Number.isInteger(g.w) && Number.isInteger(g.h), where).toBe(true);
      expect(g.x >= 0 && g.y >= 0 && g.w >= 1 && g.h >= 1 && g.x + g.w <= 24, `${where} gridPos ${JSON.stringify(g)}`).toBe(true);
      expect(p.description?.length ?? 0, `${where} needs a description`).toBeGreaterThan(p.type === 'row' ? 20 : 60);
      if (p.type === 'row') continue;
      expect(p.targets?.length ?? 0, `${where} has no query`).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.expr.trim(), where).not.toBe('');
      if (['timeseries', 'stat', 'bargauge'].includes(p.type)) expect(p.fieldConfig?.defaults.unit, `${where} unit`).toBeTruthy();
    }
    for (let i = 0; i < ps.length; i++) {
      for (let j = i + 1; j < ps.length; j++) {
        expect(overlaps(ps[i]!.gridPos, ps[j]!.gridPos), `"${ps[i]!.title}" overlaps "${ps[j]!.title}"`).toBe(false);
      }
    }
  });

  it('use only the template variables they define (or Grafana\'s), and $__rate_interval / $__range for ranges', () => {
    for (const { file, json } of all) {
      const defined = new Set(json.templating.list.map((v) => v.name));
      for (const p of panels(json)) {
        for (const t of p.targets ?? []) {
          for (const m of t.expr.matchAll(/\$\{?(\w+)\}?/g)) {
            expect(defined.has(m[1]!) || BUILTIN.has(m[1]!), `${file} "${p.title}": $${m[1]} is not defined`).toBe(true);
          }
          for (const m of t.expr.matchAll(/\[([^\]]+)\]/g)) {
            // LogQL character classes in regex matchers ([^.]) are not ranges.
            if (m[1]!.startsWith('^')) continue;
            expect(['$__rate_interval', '$__range', '$__auto'], `${file} "${p.title}": fixed range [${m[1]}]`).toContain(m[1]);
          }
        }
      }
    }
    const rateQueries = dashboardExprs('prometheus').filter((e) => /\brate\(/.test(e.expr));
    expect(rateQueries.length).toBeGreaterThan(10);
    for (const e of rateQueries) expect(e.expr, e.source).toContain('$__rate_interval');
  });

  it('draw the alert thresholds where the alerts watch', () => {
    const cases: Array<[string, string, string, number]> = [
      ['identity-audit.json', 'Login failure ratio', 'KeystoneAuthFailureRatioHigh', THRESHOLDS.authFailureRatio],
      ['identity-audit.json', 'Failed logins by reason code', 'KeystoneAuthFailureRateHigh', THRESHOLDS.authFailureRate],
      ['exporter-health.json', 'Event lag', 'CadfExporterLagHigh', THRESHOLDS.lagP90Seconds],
      ['exporter-health.json', 'Since last export', 'CadfExporterNoEvents', THRESHOLDS.noEventsSeconds],
    ];
    for (const [file, title, alert, value] of cases) {
      expect(alertThreshold(alert), alert).toBe(value);
      const p = panel(file, title);
      const steps = p.fieldConfig?.defaults.thresholds?.steps ?? [];
      expect(steps.map((s) => s.value), `${title} draws ${alert}'s ${value}`).toContain(value);
      if (p.type === 'timeseries') expect(p.fieldConfig?.defaults.custom?.thresholdsStyle?.mode, title).toMatch(/line/);
    }
    expect(alertThreshold('CadfExporterExportFailing')).toBe(THRESHOLDS.exportFailureRatio);
  });

  it('say on every login panel that Keystone hides successful logins unless configured', () => {
    for (const { file, json } of all) {
      for (const p of panels(json)) {
        const auth = (p.targets ?? []).some((t) => t.expr.includes('cadf_authentications_total') && !t.expr.includes('outcome="failure"'));
        if (auth) expect(p.description, `${file} "${p.title}"`).toContain('notification_opt_out');
      }
    }
  });

  it('show the log tables with columns the records have', () => {
    const known = lokiNames();
    for (const { file, json } of all) {
      for (const p of panels(json).filter((x) => x.type === 'table' && x.datasource?.type === 'loki')) {
        const filter = p.transformations?.find((t) => t.id === 'filterFieldsByName');
        const names = ((filter?.options.include as { names?: string[] } | undefined)?.names ?? []).filter((n) => n !== 'Time');
        expect(names.length, `${file} "${p.title}"`).toBeGreaterThan(2);
        expect(p.transformations?.[0]?.id, `${file} "${p.title}" extracts the labels first`).toBe('extractFields');
        for (const n of names) expect(known.has(n), `${file} "${p.title}": column ${n} is no attribute the exporter sends`).toBe(true);
      }
    }
  });
});
