import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** What a LOCK file says about its holder. */
export interface LockHolder {
  readonly pid: number;
  /** The container's or machine's host name: in a container every exporter is PID 1. */
  readonly host: string;
  /** The kernel's boot id: a lock from before a reboot is stale whatever its pid. */
  readonly bootId: string;
  /** The process's start time (clock ticks since boot): tells a dead holder from a reused pid. */
  readonly start: string;
  readonly since: string;
  /** Unique per lock, so a take-over can tell the stale file it judged from a fresh one. */
  readonly nonce: string;
}

/**
 * One exporter per data directory: a second process appending to and compacting the same log
 * would lose the other's writes. The LOCK file is created whole and exclusively (written to a
 * temp file, then link()ed: link fails if LOCK exists), and names its holder's host, boot and
 * process. It is taken over only when provably stale: same host and a different boot, or same host
 * and boot and the process is gone (or its pid now belongs to another process). A lock of another
 * host (another container on a shared volume) is refused: from here it cannot be known to be dead.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'LOCK');
  const me = self();
  const text = `${JSON.stringify(me)}\n`;
  const tmp = `${lock}.${me.pid}.${me.nonce}`;
  writeWhole(tmp, text);
  try {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        linkSync(tmp, lock);
        return () => release(lock, text);
      } catch (err) {
        if (code(err) !== 'EEXIST') throw err;
      }
      const held = readOrUndefined(lock);
      if (held === undefined) continue; // released meanwhile
      const reason = staleness(held, me);
      if (reason === undefined) throw new Error(refusal(dir, lock, held));
      // Moved aside, then checked: if it is no longer the file judged stale (another process took
      // it over in between), it is put back untouched.
      const aside = `${lock}.stale.${me.pid}.${me.nonce}`;
      try {
        renameSync(lock, aside);
      } catch (err) {
        if (code(err) === 'ENOENT') continue;
        throw err;
      }
      if (readOrUndefined(aside) !== held) {
        try {
          linkSync(aside, lock);
        } catch {
          // Someone else holds LOCK now; the file moved aside was theirs before: theirs wins.
        }
      }
      rmSync(aside, { force: true });
    }
    throw new Error(`data directory ${dir}: could not take ${lock}, other processes keep taking it`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Why a lock is provably stale, or undefined when it may be live. */
export function staleness(text: string, me: LockHolder): string | undefined {
  const h = parse(text);
  if (h === undefined || h.host !== me.host) return undefined;
  if (h.bootId !== '' && me.bootId !== '' && h.bootId !== me.bootId) return 'the host has rebooted since';
  if (h.pid === me.pid) return h.start !== me.start ? 'its pid is now this process (a restarted container)' : 'it is this process';
  if (!alive(h.pid)) return 'its process is gone';
  const now = startOf(h.pid);
  if (now !== '' && h.start !== '' && now !== h.start) return 'its pid now belongs to another process';
  return undefined;
}

function refusal(dir: string, lock: string, text: string): string {
  const h = parse(text);
  const who =
    h === undefined
      ? `a lock this exporter cannot read (${JSON.stringify(text.trim().slice(0, 40))}, an older version's?)`
      : `process ${h.pid} on host ${h.host} (since ${h.since})`;
  return (
    `data directory ${dir} is in use by ${who}: each exporter needs its own enrich.dataDir (CADF_DATA_DIR). ` +
    'Give every replica its own directory (a volume per replica, e.g. a StatefulSet volumeClaimTemplate), ' +
    'or let replicas share names through enrich.storeUrl (CADF_ENRICH_STORE_URL). ' +
    `If you know that exporter is gone, delete ${lock}`
  );
}

function release(lock: string, text: string): void {
  // Only our own lock: one taken over meanwhile belongs to its new holder.
  if (readOrUndefined(lock) === text) rmSync(lock, { force: true });
}

function self(): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: readOrUndefined('/proc/sys/kernel/random/boot_id')?.trim() ?? '',
    start: startOf(process.pid),
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
}

/** Field 22 of /proc/PID/stat (after the command name, which may hold spaces and parentheses). */
function startOf(pid: number): string {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (stat === undefined) return '';
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

function parse(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string') return undefined;
    const s = (v: unknown): string => (typeof v === 'string' ? v : '');
    return { pid: h.pid, host: h.host, bootId: s(h.bootId), start: s(h.start), since: s(h.since), nonce: s(h.nonce) };
  } catch {
    return undefined;
  }
}

function writeWhole(path: string, text: string): void {
  const fd = openSync(path, 'wx');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM';
  }
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}
