import { describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import type { CommandIO } from '../../src/commands/io.js';

function io(): CommandIO & { out: string; err: string } {
  const o = { out: '', err: '', stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t), readStdin: () => Promise.resolve(Buffer.alloc(0)) };
  return o;
}

describe('cadf-exporter config', () => {
  it('prints the effective configuration with secrets masked', async () => {
    const t = io();
    expect(await main(['config', '--amqp-url', 'amqp://me:s3cret@rabbit:5672/', '--otlp-headers', 'Authorization=Basic%20xyz', '--amqp-prefetch', '77'], t)).toBe(0);
    const c = JSON.parse(t.out);
    expect(c.amqp.url).toEqual(['amqp://me:***@rabbit:5672/']);
    expect(c.amqp.prefetch).toBe(77);
    expect(c.otlp.headers).toEqual({ Authorization: '***' });
    expect(t.out).not.toContain('s3cret');
    expect(t.out).not.toContain('xyz');
  });

  it('exits 1 on a bad value, naming it', async () => {
    const t = io();
    expect(await main(['config', '--amqp-prefetch', 'x'], t)).toBe(1);
    expect(t.err).toContain('amqp.prefetch = x (from flag --amqp-prefetch)');
  });

  it('--help lists every setting with its env var and flag', async () => {
    const t = io();
    expect(await main(['config', '--help'], t)).toBe(0);
    expect(t.out).toContain('amqp.queue  (env CADF_AMQP_QUEUE, flag --amqp-queue)');
  });
});
