import type { AuditEvent } from '../cadf/index.js';
import { refsOf } from '../enrich/enricher.js';
import { NameStore } from '../enrich/name-store.js';

/** How often the data directory is read again for names the exporter learned meanwhile. */
const RELOAD_MS = 5000;

/**
 * Names for `tail`, read-only: the exporter's data directory (it owns it and may be appending:
 * this only reads the file, never takes its lock or writes) plus what the events seen here carry.
 */
export class TailNames {
  private readonly names = new Map<string, string>();
  private loadedAt = 0;

  constructor(private readonly dir: string | undefined) {
    this.reload();
  }

  get size(): number {
    return this.names.size;
  }

  fill(ev: AuditEvent): void {
    const a = ev.actor;
    if (a?.id !== undefined && a.name !== undefined) this.names.set(`user:${a.id}`, a.name);
    if (a?.project.id !== undefined && a.project.name !== undefined) this.names.set(`project:${a.project.id}`, a.project.name);
    if (a?.domain.id !== undefined && a.domain.name !== undefined) this.names.set(`domain:${a.domain.id}`, a.domain.name);
    let missed = false;
    for (const w of refsOf(ev)) {
      if (w.ref.name !== undefined) continue;
      const n = this.names.get(`${w.kind}:${w.ref.id!}`);
      if (n !== undefined) w.ref.name = n;
      else missed = true;
    }
    if (missed && Date.now() - this.loadedAt > RELOAD_MS && this.reload()) this.fill(ev);
  }

  /** True when the file was read. */
  private reload(): boolean {
    this.loadedAt = Date.now();
    if (this.dir === undefined) return false;
    try {
      new NameStore(this.dir).load((r) => this.names.set(`${r.k}:${r.i}`, r.n));
      return true;
    } catch {
      return false; // no directory yet, or unreadable: ids stay ids
    }
  }
}
