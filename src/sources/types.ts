import type { SourceMeta } from '../cadf/index.js';

/** Why a message is dead-lettered: a decode error code, `otlp_rejected`, `export_failed`, ... */
export interface DeadLetterReason {
  readonly code: string;
  readonly message: string;
}

/**
 * What became of one message, decided once by the pipeline (Vector's end-to-end acknowledgement
 * model). Each maps to one source action:
 * - `delivered`: the record is safely out (endpoint 2xx, or a duplicate of one that is): ack.
 * - `rejected`: it can never be exported: dead-letter it with the reason, then ack.
 * - `errored`: it could not be handled now (shutdown, a dead-letter that failed): give it back
 *   (requeue / re-read later) so it comes again.
 */
export type Outcome =
  | { readonly status: 'delivered' }
  | { readonly status: 'rejected'; readonly reason: DeadLetterReason }
  | { readonly status: 'errored'; readonly why: string };

export const DELIVERED: Outcome = { status: 'delivered' };

/** One message from a source. Settle it exactly once; later calls are ignored. */
export interface Delivery {
  readonly body: Buffer;
  readonly meta: SourceMeta;
  readonly redelivered: boolean;
  /** The source carries out the outcome (ack, dead-letter then ack, requeue). */
  settle(outcome: Outcome): void;
  /**
   * False once settling it can have no effect any more (its channel is gone: the broker
   * redelivers it). Work on a delivery that is not live is dropped, not exported.
   */
  readonly live: boolean;
  /**
   * True when the source will deliver nothing more until something is settled (the broker's
   * prefetch, the file source's window): waiting for a batch timer then would only stall.
   */
  readonly windowFull?: boolean;
}

export type DeliveryHandler = (d: Delivery) => void;

export interface Source {
  /** A short name for logs, metrics and /readyz (e.g. `amqp`, `amqp:region2`, `file`). */
  readonly name: string;
  /** Starts consuming in the background (connecting and reconnecting as needed). */
  start(handler: DeliveryHandler): void;
  /** Stops taking new messages; what is in flight may still be settled. */
  stopConsuming(): Promise<void>;
  /** Closes everything; unsettled messages go back to the queue (or are re-read later). */
  close(): Promise<void>;
  /** Connected and consuming (or, for files, watching). */
  readonly ready: boolean;
  /** Received and not yet settled. */
  readonly inflight: number;
  /** Age in seconds of the oldest delivery not yet settled, 0 when none. */
  oldestUnsettledSeconds(): number;
}
