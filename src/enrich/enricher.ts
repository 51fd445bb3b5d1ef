import type { AuditEvent, Ref } from '../cadf/index.js';
import type { KeystoneClient, LookupResult } from './keystone-client.js';
import type { NameKind, NameMemory } from './name-memory.js';
import type { NameFinder } from './shared-names.js';

export interface EnrichObserver {
  cache(hit: boolean): void;
  lookup(result: LookupResult['status'] | 'timeout'): void;
  /** A deletion record that goes out with no name for what was deleted. */
  unnamedDeletion(kind: NameKind): void;
}

/** Enrichment runs on a batch of decoded events, before they become records. */
export interface Enricher {
  enrich(events: readonly AuditEvent[]): Promise<void>;
  /** May wait for the name memory's last writes. */
  close(): Promise<void> | void;
}

export interface Want {
  readonly kind: NameKind;
  readonly ref: Ref;
}

const NAMED_KINDS: ReadonlySet<string> = new Set(['user', 'project', 'domain', 'group', 'role']);

/**
 * Fills in names: learns every (id, name) pair the events carry, answers from the name memory,
 * then from the shared store (when configured: what the other replicas learned), and asks Keystone
 * for the rest (when configured) — waiting at most `waitMs` for the batch in all, so a slow or
 * failing store or Keystone delays records a little and never stalls the stream. Answers that
 * come late still teach the memory.
 */
export class NameEnricher implements Enricher {
  constructor(
    private readonly memory: NameMemory,
    private readonly keystone: KeystoneClient | undefined,
    private readonly observer: EnrichObserver,
    private readonly waitMs: number,
    private readonly shared?: NameFinder,
  ) {}

  async enrich(events: readonly AuditEvent[]): Promise<void> {
    const deadline = Date.now() + this.waitMs;
    await this.name(events, deadline);
    for (const ev of events) {
      const r = ev.resource;
      if (r?.operation === 'deleted' && r.id !== undefined && r.name === undefined && NAMED_KINDS.has(r.type)) {
        this.observer.unnamedDeletion(r.type as NameKind);
      }
    }
  }

  private async name(events: readonly AuditEvent[], deadline: number): Promise<void> {
    const missing = new Map<string, Want[]>();
    const refresh = new Map<string, Want>();
    for (const ev of events) {
      this.learn(ev);
      for (const w of refsOf(ev)) {
        if (w.ref.name !== undefined) continue;
        const known = this.memory.get(w.kind, w.ref.id!);
        this.observer.cache(known !== undefined);
        if (known !== undefined) {
          w.ref.name = known.n;
          continue;
        }
        const key = `${w.kind}:${w.ref.id!}`;
        const list = missing.get(key);
        if (list === undefined) missing.set(key, [w]);
        else list.push(w);
      }
      // An object just created or updated exists now: learn its (new) name while it can be looked
      // up, so the record of its deletion can carry it.
      const r = ev.resource;
      if (r?.id !== undefined && NAMED_KINDS.has(r.type) && r.operation !== 'deleted') {
        refresh.set(`${r.type}:${r.id}`, { kind: r.type as NameKind, ref: r });
      }
    }
    if (this.shared !== undefined && missing.size > 0) {
      await within(this.shared.find([...missing.values()].map((l) => ({ kind: l[0]!.kind, id: l[0]!.ref.id! }))), deadline);
      for (const [key, list] of missing) if (this.fromMemory(list)) missing.delete(key);
    }
    if (this.keystone === undefined) return;
    for (const [key, w] of refresh) if (!missing.has(key)) void this.resolve([w]);
    if (missing.size === 0) return;

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))));
    const all = Promise.all([...missing.values()].map((list) => this.resolve(list))).then(() => true);
    const inTime = await Promise.race([all, timeout]);
    clearTimeout(timer);
    // Emitted without those names; the lookups go on and fill the memory for next time.
    if (!inTime) for (let i = 0; i < missing.size; i++) this.observer.lookup('timeout');
  }

  /** Stops lookups and waits until the name memory's last writes are on disk. */
  async close(): Promise<void> {
    this.keystone?.close();
    await this.memory.close();
  }

  /** One Keystone lookup for refs sharing an id; names them and teaches the memory. */
  private async resolve(list: Want[]): Promise<void> {
    const first = list[0]!;
    const result = await this.keystone!.lookup(first.kind, first.ref.id!);
    this.observer.lookup(result.status);
    if (result.status === 'not_found' && this.shared !== undefined) {
      // Deleted already: the replica that saw it created may have written its name meanwhile.
      await this.shared.find([{ kind: first.kind, id: first.ref.id! }], true);
      this.fromMemory(list);
      return;
    }
    if (result.status !== 'found') return;
    this.memory.learn(first.kind, first.ref.id!, result.name, result.domainId);
    for (const w of list) w.ref.name ??= result.name;
  }

  /** Names refs from the memory; whether it knew the name. */
  private fromMemory(list: Want[]): boolean {
    const known = this.memory.get(list[0]!.kind, list[0]!.ref.id!);
    if (known === undefined) return false;
    for (const w of list) w.ref.name ??= known.n;
    return true;
  }

  /** Every (id, name) pair an event itself carries. */
  private learn(ev: AuditEvent): void {
    const a = ev.actor;
    if (a !== undefined) {
      if (a.id !== undefined && a.name !== undefined) this.memory.learn('user', a.id, a.name);
      if (a.domain.id !== undefined && a.domain.name !== undefined) this.memory.learn('domain', a.domain.id, a.domain.name);
      if (a.project.id !== undefined && a.project.name !== undefined) this.memory.learn('project', a.project.id, a.project.name);
    }
  }
}

/** Waits for `p` until the deadline at most; it goes on after that. */
async function within(p: Promise<void>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
  await Promise.race([p, timeout]);
  clearTimeout(timer);
}

/** The refs of an event whose names we look for. */
export function refsOf(ev: AuditEvent): Want[] {
  const out: Want[] = [];
  const add = (kind: NameKind, ref: Ref | undefined): void => {
    if (ref?.id !== undefined && ref.id !== '') out.push({ kind, ref });
  };
  const a = ev.actor;
  if (a !== undefined) {
    add('user', a);
    add('project', a.project);
    add('domain', a.domain);
  }
  add('project', ev.targetScope.project);
  add('domain', ev.targetScope.domain);
  const r = ev.resource;
  if (r !== undefined && NAMED_KINDS.has(r.type)) add(r.type as NameKind, r);
  const g = ev.assignment;
  if (g !== undefined) {
    add('role', g.role);
    add('user', g.user);
    add('group', g.group);
    add('project', g.project);
    add('domain', g.domain);
  }
  return out;
}
