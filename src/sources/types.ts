import type { SourceMeta } from '../cadf/index.js';

/** One message from a source. Settle it exactly once, when it is safely out (or dead-lettered). */
export interface Delivery {
  readonly body: Buffer;
  readonly meta: SourceMeta;
  readonly redelivered: boolean;
  /** Marks it done. The source acks it once every earlier delivery of its channel is done too. */
  settle(): void;
  /** False once the channel it came on is gone: the broker will redeliver it. */
  readonly live: boolean;
}

export interface DeadLetterReason {
  /** A decode error code, or `otlp_rejected`. */
  readonly code: string;
  readonly message: string;
}

export type DeliveryHandler = (d: Delivery) => void;

export interface Source {
  /** Starts consuming in the background (connecting and reconnecting as needed). */
  start(handler: DeliveryHandler): void;
  /** Publishes a copy to the dead-letter queue with the reason, then settles the delivery. */
  deadLetter(d: Delivery, reason: DeadLetterReason): Promise<void>;
  /** Stops taking new messages; what is in flight may still be settled. */
  stopConsuming(): Promise<void>;
  /** Closes everything; unsettled messages go back to the queue. */
  close(): Promise<void>;
  /** Connected and consuming. */
  readonly ready: boolean;
  /** Received and not yet acked. */
  readonly inflight: number;
}
