import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../src/pipeline/dedup.js';

describe('RecentIds', () => {
  it('remembers ids up to its capacity, forgetting the oldest first', () => {
    const r = new RecentIds(3);
    expect(r.add('a')).toBe(true);
    expect(r.add('a')).toBe(false);
    r.add('b');
    r.add('c');
    r.add('d');
    expect(r.size).toBe(3);
    expect(r.has('a')).toBe(false);
    expect(r.has('b') && r.has('c') && r.has('d')).toBe(true);
  });
});
