import { readFileSync } from 'node:fs';
import type { LogRecordData } from '../../cadf/index.js';
import type { ConfigShape } from '../../config/schema.js';
import { buildAlert } from './alert.js';
import { BUILTIN_RULES } from './builtin.js';
import { AlertPoster, type PosterObserver } from './poster.js';
import { CompiledRule, matchingRules, parseRules, type NotifyRule } from './rules.js';

export type NotifyConfig = ConfigShape['notify'];

/**
 * The rules in force: the built-in set when asked for, then the rules file, then notify.rules; a
 * later rule of the same name replaces an earlier one. Throws an Error saying what is wrong.
 */
export function loadRules(c: NotifyConfig): NotifyRule[] {
  const byName = new Map<string, NotifyRule>();
  if (c.builtinRules) for (const r of BUILTIN_RULES) byName.set(r.name, r);
  if (c.rulesFile !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(c.rulesFile, 'utf8')) as unknown;
    } catch (err) {
      throw new Error(`notify.rulesFile ${c.rulesFile} cannot be read as JSON: ${(err as Error).message}`);
    }
    for (const r of parseRules(parsed, `notify.rulesFile ${c.rulesFile}`)) byName.set(r.name, r);
  }
  for (const r of parseRules(c.rules, 'notify.rules')) byName.set(r.name, r);
  return [...byName.values()];
}

/** Fed every delivered record; turns the ones that match a rule into alerts on the poster's queue. */
export class Notifier {
  private readonly rules: CompiledRule[];

  constructor(
    rules: readonly NotifyRule[],
    private readonly poster: AlertPoster,
    private readonly region: string,
    private readonly resolveAfterSeconds: number,
  ) {
    this.rules = rules.map((r) => new CompiledRule(r));
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  get pending(): number {
    return this.poster.pending;
  }

  /** Synchronous and cheap: a few regex tests, and an enqueue that never waits. */
  notify(record: LogRecordData): void {
    const hits = matchingRules(this.rules, record);
    if (hits.length === 0) return;
    const ctx = { region: this.region, resolveAfterSeconds: this.resolveAfterSeconds, nowMs: Date.now() };
    // buildAlert is pure and total (no throw), so the ack that follows in the router always happens.
    for (const h of hits) this.poster.enqueue(buildAlert(h.rule, record, ctx));
  }

  shutdown(deadlineMs: number): Promise<void> {
    return this.poster.shutdown(deadlineMs);
  }
}

/** A notifier when Alertmanager URLs and at least one rule are configured, else undefined. */
export function createNotifier(c: NotifyConfig, region: string, observer: PosterObserver): Notifier | undefined {
  if (c.alertmanagerUrl.length === 0) return undefined;
  const rules = loadRules(c);
  if (rules.length === 0) return undefined;
  const poster = new AlertPoster(
    {
      urls: c.alertmanagerUrl,
      queueSize: c.queueSize,
      batchSize: 64,
      timeoutMs: c.timeoutMs,
      maxRetries: c.maxRetries,
      retryInitialDelayMs: 500,
      retryMaxDelayMs: 10_000,
    },
    observer,
  );
  return new Notifier(rules, poster, region, c.resolveAfterSeconds);
}
