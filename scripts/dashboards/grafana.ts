/**
 * A small builder for Grafana dashboard JSON (schemaVersion 41, Grafana 12): panels laid out in
 * lines on the 24-column grid, every datasource a template variable (`${DS_PROMETHEUS}`,
 * `${DS_LOKI}`), every panel with a description. scripts/gen-dashboards.ts writes the dashboards
 * under dashboards/; test/dashboards/ holds them to the rules stated here.
 */

export const SCHEMA_VERSION = 41;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const PROM = { type: 'prometheus', uid: '${DS_PROMETHEUS}' } as const;
export const LOKI = { type: 'loki', uid: '${DS_LOKI}' } as const;
type Datasource = typeof PROM | typeof LOKI;

export interface Query {
  readonly expr: string;
  readonly legend?: string;
  /** Prometheus: an instant query (stat, bar gauge, table); Loki: `instant` for metric queries. */
  readonly instant?: boolean;
  /** Prometheus result format: `table` for tables, `heatmap` for bucket heatmaps. */
  readonly format?: 'time_series' | 'table' | 'heatmap';
  /** Loki log queries (not metric queries): lines to fetch. */
  readonly maxLines?: number;
}

export interface Step {
  readonly color: string;
  readonly value: number | null;
}

export interface PanelSpec {
  readonly type: 'timeseries' | 'stat' | 'bargauge' | 'table' | 'heatmap';
  readonly title: string;
  /** What it shows, and what to do when it looks wrong. Required: the tests check it. */
  readonly description: string;
  readonly w: number;
  readonly h: number;
  readonly ds: Datasource;
  readonly queries: readonly Query[];
  readonly unit?: string;
  readonly decimals?: number;
  readonly min?: number;
  readonly max?: number;
  /** Threshold steps above the base colour; drawn as lines on time series when `thresholdLines`. */
  readonly thresholds?: readonly Step[];
  readonly thresholdLines?: boolean;
  readonly noValue?: string;
  /** Time series: bars or lines, stacked or not. */
  readonly style?: 'lines' | 'bars' | 'stacked-bars' | 'stacked-lines' | 'steps';
  readonly mappings?: Json[];
  readonly overrides?: Json[];
  readonly transformations?: Json[];
  readonly options?: JsonObject;
  readonly color?: string;
}

const OUTCOME_COLORS: Readonly<Record<string, string>> = {
  success: 'green',
  failure: 'red',
  pending: 'blue',
  unknown: 'orange',
};

/** Overrides colouring series named after a CADF outcome (legend `{{outcome}}`). */
export function outcomeColors(prefixed = false): Json[] {
  return Object.entries(OUTCOME_COLORS).map(([name, color]) => ({
    matcher: prefixed ? { id: 'byRegexp', options: `.*${name}$` } : { id: 'byName', options: name },
    properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }],
  }));
}

export class DashboardBuilder {
  private readonly panels: JsonObject[] = [];
  private y = 0;
  private nextId = 1;

  /** A collapsible section header. */
  row(title: string, description: string): this {
    this.panels.push({ id: this.nextId++, type: 'row', title, description, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: this.y }, panels: [] });
    this.y += 1;
    return this;
  }

  /** Panels side by side, left to right; their widths must add up to at most 24. */
  line(...specs: PanelSpec[]): this {
    let x = 0;
    let h = 0;
    for (const s of specs) {
      if (x + s.w > 24) throw new Error(`line too wide at "${s.title}"`);
      this.panels.push(this.panel(s, { h: s.h, w: s.w, x, y: this.y }));
      x += s.w;
      h = Math.max(h, s.h);
    }
    this.y += h;
    return this;
  }

  build(meta: { uid: string; title: string; description: string; tags: string[]; variables: Json[]; time?: string; links?: Json[] }): JsonObject {
    return {
      uid: meta.uid,
      title: meta.title,
      description: meta.description,
      tags: meta.tags,
      editable: true,
      graphTooltip: 1,
      timezone: 'browser',
      refresh: '1m',
      time: { from: meta.time ?? 'now-6h', to: 'now' },
      timepicker: {},
      schemaVersion: SCHEMA_VERSION,
      version: 1,
      fiscalYearStartMonth: 0,
      liveNow: false,
      weekStart: '',
      links: meta.links ?? [],
      annotations: {
        list: [
          {
            builtIn: 1,
            datasource: { type: 'grafana', uid: '-- Grafana --' },
            enable: true,
            hide: true,
            iconColor: 'rgba(0, 211, 255, 1)',
            name: 'Annotations & Alerts',
            type: 'dashboard',
          },
        ],
      },
      templating: { list: meta.variables },
      panels: this.panels,
    };
  }

  private panel(s: PanelSpec, gridPos: JsonObject): JsonObject {
    const refIds = 'ABCDEFGHIJ';
    const targets: Json[] = s.queries.map((q, i) => target(s.ds, q, refIds[i]!));
    const defaults: JsonObject = {
      unit: s.unit ?? 'short',
      color: s.color !== undefined ? { mode: 'fixed', fixedColor: s.color } : { mode: s.type === 'timeseries' ? 'palette-classic' : 'thresholds' },
      thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, ...(s.thresholds ?? []).map((t) => ({ ...t }))] },
      mappings: s.mappings ?? [],
    };
    if (s.decimals !== undefined) defaults.decimals = s.decimals;
    if (s.min !== undefined) defaults.min = s.min;
    if (s.max !== undefined) defaults.max = s.max;
    if (s.noValue !== undefined) defaults.noValue = s.noValue;
    if (s.type === 'timeseries') defaults.custom = timeseriesStyle(s);
    return {
      id: this.nextId++,
      type: s.type,
      title: s.title,
      description: s.description,
      datasource: { ...s.ds },
      gridPos,
      targets,
      fieldConfig: { defaults, overrides: s.overrides ?? [] },
      options: { ...defaultOptions(s), ...(s.options ?? {}) },
      ...(s.transformations !== undefined ? { transformations: s.transformations } : {}),
    };
  }
}

function target(ds: Datasource, q: Query, refId: string): JsonObject {
  if (ds === LOKI) {
    return {
      refId,
      datasource: { ...ds },
      expr: q.expr,
      queryType: q.instant ? 'instant' : 'range',
      editorMode: 'code',
      ...(q.legend !== undefined ? { legendFormat: q.legend } : {}),
      ...(q.maxLines !== undefined ? { maxLines: q.maxLines } : {}),
    };
  }
  return {
    refId,
    datasource: { ...ds },
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    editorMode: 'code',
    range: !q.instant,
    instant: q.instant === true,
    format: q.format ?? 'time_series',
  };
}

function timeseriesStyle(s: PanelSpec): JsonObject {
  const style = s.style ?? 'lines';
  const bars = style === 'bars' || style === 'stacked-bars';
  return {
    drawStyle: bars ? 'bars' : 'line',
    lineInterpolation: style === 'steps' ? 'stepAfter' : 'linear',
    lineWidth: 1,
    fillOpacity: bars ? 80 : 10,
    gradientMode: 'none',
    showPoints: 'never',
    spanNulls: false,
    axisSoftMin: 0,
    stacking: { mode: style.startsWith('stacked') ? 'normal' : 'none', group: 'A' },
    thresholdsStyle: { mode: s.thresholdLines ? 'line+area' : 'off' },
    axisPlacement: 'auto',
    barAlignment: 0,
  };
}

function defaultOptions(s: PanelSpec): JsonObject {
  switch (s.type) {
    case 'timeseries':
      return { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } };
    case 'stat':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'value',
        graphMode: 'none',
        justifyMode: 'auto',
        orientation: 'auto',
        textMode: 'auto',
        showPercentChange: false,
        wideLayout: true,
      };
    case 'bargauge':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        orientation: 'horizontal',
        displayMode: 'basic',
        showUnfilled: true,
        valueMode: 'color',
        namePlacement: 'left',
        sizing: 'auto',
        minVizHeight: 16,
        maxVizHeight: 300,
      };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], countRows: false, fields: '' } };
    case 'heatmap':
      return {
        calculate: false,
        cellGap: 1,
        color: { mode: 'scheme', scheme: 'Oranges', steps: 64, exponent: 0.5, fill: 'dark-orange', reverse: false },
        yAxis: { axisPlacement: 'left', unit: s.unit ?? 's' },
        rowsFrame: { layout: 'auto' },
        legend: { show: true },
        tooltip: { mode: 'single', yHistogram: false },
        exemplars: { color: 'rgba(255,0,255,0.7)' },
        filterValues: { le: 1e-9 },
      };
  }
}

/**
 * A table of Loki log lines with chosen columns: the structured metadata of each line is in its
 * `labels` field; extract it, keep Time and `columns`, name them.
 */
export function logTable(columns: ReadonlyArray<readonly [string, string]>): { transformations: Json[]; overrides: Json[]; options: JsonObject } {
  const names = columns.map(([field]) => field);
  return {
    transformations: [
      { id: 'extractFields', options: { source: 'labels', format: 'auto', replace: false, keepTime: false } },
      { id: 'filterFieldsByName', options: { include: { names: ['Time', ...names] } } },
      {
        id: 'organize',
        options: {
          indexByName: Object.fromEntries(['Time', ...names].map((n, i) => [n, i])),
          renameByName: Object.fromEntries(columns.map(([field, title]) => [field, title])),
          excludeByName: {},
        },
      },
    ],
    overrides: [{ matcher: { id: 'byName', options: 'Time' }, properties: [{ id: 'custom.width', value: 170 }] }],
    options: { sortBy: [{ displayName: 'Time', desc: true }] },
  };
}

/** The template variables every dashboard shares. */
export const VARIABLES = {
  prometheus: { name: 'DS_PROMETHEUS', label: 'Prometheus', type: 'datasource', query: 'prometheus', refresh: 1, regex: '', hide: 0, current: {}, options: [], includeAll: false, multi: false },
  loki: { name: 'DS_LOKI', label: 'Loki', type: 'datasource', query: 'loki', refresh: 1, regex: '', hide: 0, current: {}, options: [], includeAll: false, multi: false },
  job: promVariable('job', 'Job', 'label_values(cadf_exporter_build_info, job)', { current: 'cadf-exporter' }),
  cloudRegion: {
    ...promVariable('cloud_region', 'Cloud region', 'label_values(cadf_exporter_build_info{job=~"$job"}, cloud_region)', { all: '.*' }),
    description:
      'The cloud: the cloud_region label of the exporter\'s scrape target (Prometheus) and its resource attribute cloud.region (OTEL_RESOURCE_ATTRIBUTES, a stream label in Loki). Give both the same value.',
  },
  instance: promVariable('instance', 'Instance', 'label_values(cadf_exporter_build_info{job=~"$job"}, instance)', { all: '.+' }),
  serviceName: {
    name: 'service_name',
    label: 'Loki service_name',
    description: 'OTEL_SERVICE_NAME of the exporter (default openstack): the service_name label of its log streams in Loki.',
    type: 'textbox',
    query: 'openstack',
    current: { text: 'openstack', value: 'openstack' },
    options: [{ selected: true, text: 'openstack', value: 'openstack' }],
    hide: 0,
  },
} satisfies Record<string, Json>;

function promVariable(name: string, label: string, query: string, o: { current?: string; all?: string }): JsonObject {
  return {
    name,
    label,
    type: 'query',
    datasource: { ...PROM },
    definition: query,
    query: { qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    regex: '',
    sort: 1,
    hide: 0,
    includeAll: o.all !== undefined,
    multi: o.all !== undefined,
    ...(o.all !== undefined ? { allValue: o.all, current: { text: ['All'], value: ['$__all'] } } : { current: { text: o.current ?? '', value: o.current ?? '' } }),
    options: [],
  };
}
