import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/**
 * Expands paths and globs (`*`, `?` within one path segment, as a shell does) to the regular files
 * they match now. Node 20 has no fs.glob, and this small subset covers `/var/log/kolla/*\/*.log`
 * and `/var/log/containers/keystone-*.log` without a dependency.
 */
export async function expand(patterns: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const p of patterns) for (const f of await expandOne(p)) out.add(f);
  return [...out].sort();
}

async function expandOne(pattern: string): Promise<string[]> {
  if (!/[*?]/.test(pattern)) return (await isFile(pattern)) ? [pattern] : [];
  const parts = pattern.split(sep);
  let bases = [parts[0] === '' ? sep : parts[0]!];
  for (let i = 1; i < parts.length; i++) {
    const seg = parts[i]!;
    if (seg === '') continue;
    const next: string[] = [];
    for (const b of bases) {
      if (!/[*?]/.test(seg)) {
        next.push(join(b, seg));
        continue;
      }
      const re = segmentRegExp(seg);
      const names = await readdir(b).catch(() => [] as string[]);
      for (const n of names) if (re.test(n) && !(n.startsWith('.') && !seg.startsWith('.'))) next.push(join(b, n));
    }
    bases = next;
  }
  const files: string[] = [];
  for (const b of bases) if (await isFile(b)) files.push(b);
  return files;
}

export function segmentRegExp(seg: string): RegExp {
  const body = seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

async function isFile(p: string): Promise<boolean> {
  // stat follows symlinks: /var/log/containers/*.log are links into /var/log/pods.
  return stat(p).then((s) => s.isFile(), () => false);
}
