import { describe, expect, it, vi } from 'vitest';
import type * as Classify from '../../src/cadf/classify.js';

// A decoder bug must become a dead-letterable value, not a crash: force one in classify.
vi.mock('../../src/cadf/classify.js', async (importOriginal) => {
  const real = await importOriginal<typeof Classify>();
  return {
    ...real,
    classify: (eventType: string) => {
      if (eventType === 'boom') throw new Error('forced');
      return real.classify(eventType);
    },
  };
});

const { decode } = await import('../../src/cadf/decode.js');

describe('decode', () => {
  it('turns an unexpected exception into the `internal` error code', () => {
    const body = Buffer.from('{"event_type": "boom", "payload": {"resource_info": "x"}}');
    const d = decode(body);
    expect(d).toEqual({ ok: false, error: { code: 'internal', message: 'decoder bug: forced' } });
  });

  it('decodes when nothing throws', () => {
    const d = decode(Buffer.from('{"event_type": "identity.user.created", "payload": {"resource_info": "x"}}'));
    expect(d.ok).toBe(true);
  });

  it('honours a smaller size limit', () => {
    const d = decode(Buffer.from('{"event_type": "x", "payload": {}}'), undefined, { maxBytes: 10 });
    expect(d.ok ? 'ok' : d.error.code).toBe('too_large');
  });
});
