import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { Health } from '../telemetry/health.js';
import type { KeystoneClient } from './keystone-client.js';
import { KeystonePrimer } from './keystone-primer.js';
import type { NameMemory } from './name-memory.js';
import { SharedNames } from './shared-names.js';
import { openSqlClient } from './sql-client.js';
import { SqlNameStore } from './sql-store.js';

export interface SharedNaming {
  readonly shared: SharedNames | undefined;
  readonly primer: KeystonePrimer | undefined;
  close(): Promise<void>;
}

/** The parts of the name memory beyond one process: the SQL store and the Keystone listing. */
export async function startSharedNames(
  config: Config,
  memory: NameMemory,
  keystone: KeystoneClient | undefined,
  health: Health,
  log: Logger,
): Promise<SharedNaming> {
  const e = config.enrich;
  let shared: SharedNames | undefined;
  if (e.storeUrl !== '') {
    const db = openSqlClient({
      url: e.storeUrl,
      timeoutMs: e.storeTimeoutMs,
      onIdleError: (err) => log.debug({ err: err.message }, 'name store: an idle connection closed'),
    });
    const store = new SqlNameStore(db);
    const label = store.dialect;
    health.nameStoreAdded(label);
    shared = new SharedNames(
      store,
      memory,
      {
        flushIntervalMs: e.storeFlushIntervalMs,
        refreshIntervalMs: e.storeRefreshIntervalMs,
        overlapMs: Math.max(5000, e.storeRefreshIntervalMs),
        maxPending: e.maxNames,
      },
      {
        up: (up) => health.nameStoreUp(label, up),
        error: (op) => health.nameStoreFailed(op),
        found: (hit) => health.nameStoreAsked(hit),
      },
      log,
    );
    await shared.open();
  }
  let primer: KeystonePrimer | undefined;
  if (keystone !== undefined && config.keystone.primeIntervalSeconds > 0) {
    primer = new KeystonePrimer(
      keystone,
      memory,
      { intervalMs: config.keystone.primeIntervalSeconds * 1000 },
      { primed: (kind, n) => health.namesPrimedFromKeystone(kind, n), ran: (ok) => health.primeRan(ok) },
      log,
    );
    primer.start();
  }
  return {
    shared,
    primer,
    async close() {
      primer?.close();
      await shared?.close();
    },
  };
}
