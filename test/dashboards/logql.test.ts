// Every LogQL expression of the dashboards and of the Loki ruler rules parses with Grafana's own
// grammar (@grafana/lezer-logql, what Grafana's Loki query editor uses) and names only labels and
// structured metadata the exporter's records have in Loki.
import { describe, expect, it } from 'vitest';
import { logqlExprs, lokiNames, parseLogQL, substitute } from './queries.js';

const exprs = logqlExprs();
const known = lokiNames();

describe('LogQL', () => {
  it('is found in the dashboards and the Loki rules', () => {
    expect(exprs.filter((e) => e.source.endsWith('.json') || e.source.includes('.json:')).length).toBeGreaterThanOrEqual(8);
    expect(exprs.filter((e) => e.source.includes('.yaml')).length).toBeGreaterThanOrEqual(5);
  });

  it.each(exprs.map((e) => [e.source, e.expr] as const))('%s parses and uses only names the exporter sends', (_source, expr) => {
    const q = substitute(expr);
    const parsed = parseLogQL(q);
    expect(parsed.errors, q).toEqual([]);
    expect(parsed.names.length, q).toBeGreaterThan(0);
    const unknown = parsed.names.filter((n) => !known.has(n));
    expect(unknown, `${q}\nnot a label or structured metadata of the exporter's records`).toEqual([]);
    // Every query selects the exporter's streams by service_name (OTEL_SERVICE_NAME).
    expect(q).toMatch(/\{service_name="openstack"/);
  });

  it('the grammar rejects what Loki would reject, and the name check catches a typo', () => {
    expect(parseLogQL('{service_name="openstack"} | cadf_outcome="failure" |').errors).not.toEqual([]);
    expect(parseLogQL('sum by (user_name) (count_over_time({service_name="openstack"} [5m]').errors).not.toEqual([]);
    const typo = parseLogQL('{service_name="openstack"} | cadf.outcome="failure"');
    expect(typo.errors.length > 0 || typo.names.some((n) => !known.has(n))).toBe(true);
    expect(parseLogQL('{service_name="openstack"} | cadf_outcom="failure"').names.filter((n) => !known.has(n))).toEqual(['cadf_outcom']);
  });

  it('knows the renamed attributes, Loki\'s own fields and the indexed resource labels', () => {
    for (const n of ['cadf_outcome', 'cadf_reason_code', 'user_name', 'client_address', 'user_agent_original', 'http_response_status_code', 'openstack_role_id', 'log_record_uid', 'event_name', 'service_name', 'detected_level', 'cloud_region', 'deployment_environment_name']) {
      expect(known.has(n), n).toBe(true);
    }
    expect(known.has('cadf.outcome')).toBe(false);
  });

  it('alert rules are metric queries with a comparison; log tables are log queries', () => {
    for (const e of exprs) {
      const parsed = parseLogQL(substitute(e.expr));
      if (e.source.includes('.yaml')) {
        expect(parsed.isMetric, e.source).toBe(true);
        expect(e.expr, e.source).toMatch(/\)\s*>\s*\d+\s*$/);
      }
    }
  });
});
