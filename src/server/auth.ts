// Basic auth against the web config's bcrypt hashes. bcrypt is slow on purpose (tens of ms at
// cost 10), so, as exporter-toolkit does, a checked user:password pair is remembered and a scrape
// every 15 s costs a hash lookup, not a bcrypt round.
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

const CACHE_MAX = 1000;
// Unknown users are checked against this so they take as long as known ones (no user probing by timing).
const DUMMY = '$2b$10$ouVSjZXJX4F6YFGGlNhTwukyK3Q0V8uCOruSK1Wpog3h0gsNQGeEa';

export class BasicAuth {
  private readonly good = new Set<string>();

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  get enabled(): boolean {
    return this.users.size > 0;
  }

  /** True when the Authorization header names a user of the file with its password. */
  async check(header: string | undefined): Promise<boolean> {
    const creds = parseBasic(header);
    if (creds === undefined) return false;
    const hash = this.users.get(creds.user);
    // The hash is part of the key, so a new file (SIGHUP) never honours an old password.
    const key = createHash('sha256').update(`${creds.user}\0${creds.password}\0${hash ?? ''}`).digest('hex');
    if (hash !== undefined && this.good.has(key)) return true;
    const ok = await bcrypt.compare(creds.password, hash ?? DUMMY);
    if (!ok || hash === undefined) return false;
    if (this.good.size >= CACHE_MAX) this.good.clear();
    this.good.add(key);
    return true;
  }
}

export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
