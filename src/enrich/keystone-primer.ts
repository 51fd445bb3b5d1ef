import type { Logger } from '../logger.js';
import type { KeystoneClient } from './keystone-client.js';
import type { NameKind, NameMemory } from './name-memory.js';

export interface KeystonePrimerOptions {
  /** Time between two listings; the first runs at start. */
  readonly intervalMs: number;
}

export interface KeystonePrimerObserver {
  primed(kind: NameKind, names: number): void;
  ran(ok: boolean): void;
}

/**
 * Teaches the name memory every user, project, domain, group and role Keystone lists, at start
 * and then every interval: the names of objects that existed before the exporter first ran (no
 * event ever taught them), so that their deletion records are named. Users, groups and
 * domain-specific roles are listed per domain (a domain-specific identity backend answers only
 * that way). The pages go through the client's rate limit, so lookups and listing together stay
 * within keystone.maxRequestsPerSecond.
 */
export class KeystonePrimer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;

  constructor(
    private readonly keystone: KeystoneClient,
    private readonly memory: NameMemory,
    private readonly options: KeystonePrimerOptions,
    private readonly observer: KeystonePrimerObserver,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One listing of everything; a run already going is joined, not doubled. Never throws. */
  run(): Promise<boolean> {
    this.running ??= this.listAll().finally(() => (this.running = undefined));
    return this.running;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private async listAll(): Promise<boolean> {
    const t0 = Date.now();
    const counts: Partial<Record<NameKind, number>> = {};
    let ok = true;
    const take = async (kind: NameKind, query: Record<string, string> = {}): Promise<string[]> => {
      try {
        const { items, truncated } = await this.keystone.list(kind, query);
        for (const o of items) this.memory.learn(kind, o.id, o.name, o.domainId);
        counts[kind] = (counts[kind] ?? 0) + items.length;
        this.observer.primed(kind, items.length);
        if (truncated) this.log.warn({ kind, query, listed: items.length }, 'Keystone listing truncated (its [DEFAULT] list_limit): names past it are learned from events and lookups only');
        return items.map((o) => o.id);
      } catch (err) {
        ok = false;
        this.log.warn({ kind, query, err: (err as Error).message }, 'Keystone listing failed; tried again next interval');
        return [];
      }
    };
    const domains = await take('domain');
    await take('project');
    await take('role');
    for (const domain_id of domains) {
      await take('user', { domain_id });
      await take('group', { domain_id });
      await take('role', { domain_id });
    }
    this.observer.ran(ok);
    this.log.info({ ok, names: counts, ms: Date.now() - t0 }, 'names listed from Keystone');
    return ok;
  }
}
