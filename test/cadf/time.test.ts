import { describe, expect, it } from 'vitest';
import { formatTime, parseTime } from '../../src/cadf/time.js';

const T = Date.UTC(2026, 10, 23, 0, 4, 7) / 1000;

describe('parseTime', () => {
  it.each([
    ['2026-11-23T00:04:07.573452+0000', [T, 573_452_000]],
    ['2026-11-23T00:04:07.573452+00:00', [T, 573_452_000]],
    ['2026-11-23T00:04:07.573452Z', [T, 573_452_000]],
    ['2026-11-23 00:04:07.573452', [T, 573_452_000]],
    ['2026-11-23 00:04:07', [T, 0]],
    ['2026-11-23T01:04:07.5+0100', [T, 500_000_000]],
    ['2026-11-22T19:04:07-05', [T, 0]],
  ] as const)('%s', (text, expected) => {
    expect(parseTime(text)).toEqual(expected);
  });

  it.each(['', 'yesterday', '2026-13-01T00:00:00', '2026-11-23T25:00:00', '2026-11-23T00:00:00+9900', '2026-11-23'])(
    'rejects %j',
    (text) => {
      expect(parseTime(text)).toBeUndefined();
    },
  );
});

describe('formatTime', () => {
  it('keeps microseconds and says Z', () => {
    expect(formatTime([T, 573_452_000])).toBe('2026-11-23T00:04:07.573452Z');
    expect(formatTime([T, 0])).toBe('2026-11-23T00:04:07.000000Z');
  });
});
