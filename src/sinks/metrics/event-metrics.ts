import { Counter, Histogram, type Registry } from 'prom-client';
import { EVENT_METRICS, type MetricSample } from '../../cadf/index.js';

/** Seconds: API calls through keystonemiddleware are mostly 5 ms - 10 s. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The audit-event metrics: a thin loop over the updates the core returned for an event.
 */
export class EventMetrics {
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();

  constructor(registry: Registry) {
    for (const def of Object.values(EVENT_METRICS)) {
      const cfg = { name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [registry] };
      if (def.name.endsWith('_seconds')) {
        this.histograms.set(def.name, new Histogram({ ...cfg, buckets: DURATION_BUCKETS }));
      } else {
        this.counters.set(def.name, new Counter(cfg));
      }
    }
  }

  apply(samples: readonly MetricSample[]): void {
    for (const s of samples) {
      if (s.value === undefined) this.counters.get(s.name)?.inc(s.labels);
      else this.histograms.get(s.name)?.observe(s.labels, s.value);
    }
  }
}
