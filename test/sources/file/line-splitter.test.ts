import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../src/sources/file/line-splitter.js';

describe('LineSplitter', () => {
  it('returns only complete lines, with the offset past each newline, across chunks', () => {
    const s = new LineSplitter(10, 100);
    expect(s.push(Buffer.from('ab\ncd'))).toEqual([{ text: 'ab', start: 10, end: 13, overlong: false }]);
    expect(s.readOffset).toBe(15);
    expect(s.push(Buffer.from('e\n\nf'))).toEqual([
      { text: 'cde', start: 13, end: 17, overlong: false },
      { text: '', start: 17, end: 18, overlong: false },
    ]);
    expect(s.pendingBytes).toBe(1);
  });

  it('an over-long line comes out marked, with its head only, and memory is not held for it', () => {
    const s = new LineSplitter(0, 8);
    expect(s.push(Buffer.from('0123456789'))).toEqual([]);
    expect(s.pendingBytes).toBe(0);
    expect(s.push(Buffer.from('abc\nok\n'))).toEqual([
      { text: '0123456789', start: 0, end: 14, overlong: true },
      { text: 'ok', start: 14, end: 17, overlong: false },
    ]);
    expect(s.push(Buffer.from('0123456789\n'))).toEqual([{ text: '0123456789', start: 17, end: 28, overlong: true }]);
  });
});
