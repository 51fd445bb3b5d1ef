import { randomUUID } from 'node:crypto';
import { cases } from './testdata.js';

export interface Message {
  readonly id: string;
  readonly body: Buffer;
  readonly keystone: boolean;
}

const samples = cases('samples').map((c) => c.body.toString('utf8'));

/** A sample as a new notification: same content, fresh oslo message_id (optionally a marked body). */
export function withNewId(sample: string, id: string = randomUUID(), mutate?: (msg: Record<string, unknown>) => void): Message {
  const outer = JSON.parse(sample) as Record<string, unknown>;
  const v2 = typeof outer['oslo.message'] === 'string';
  const msg = (v2 ? JSON.parse(outer['oslo.message'] as string) : outer) as Record<string, unknown>;
  msg.message_id = id;
  mutate?.(msg);
  const text = v2 ? JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(msg) }) : JSON.stringify(msg);
  return { id, body: Buffer.from(text), keystone: String(msg.event_type).startsWith('identity.') };
}

/** n distinct notifications cycling through the shared samples' mix. */
export function stream(n: number): Message[] {
  return Array.from({ length: n }, (_, i) => withNewId(samples[i % samples.length]!));
}
