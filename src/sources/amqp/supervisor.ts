import type { Logger } from '../../logger.js';
import { describeConnectError } from './connect-error.js';
import type { BrokerTarget } from './connect-options.js';

export interface ReconnectOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export interface SupervisorObserver {
  connected(up: boolean): void;
  reconnecting(): void;
}

/** Connects to one broker; resolves once connected to a promise that settles when that session dies. */
export type Connect = (target: BrokerTarget) => Promise<{ readonly closed: Promise<void> }>;

/**
 * Keeps one session alive: connects, waits for it to die, waits a capped exponential backoff with
 * +/-20 % jitter (so replicas do not reconnect in step), and rotates through the brokers when one
 * cannot be reached. Nothing else: what a session is, is the caller's.
 */
export class Supervisor {
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly targets: readonly BrokerTarget[],
    private readonly connect: Connect,
    private readonly options: ReconnectOptions,
    private readonly observer: SupervisorObserver,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops reconnecting; resolves when the loop is over (the caller closes the live session). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  get stopped(): boolean {
    return this.stopping;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let index = 0;
    while (!this.stopping) {
      const target = this.targets[index % this.targets.length]!;
      try {
        const { closed } = await this.connect(target);
        attempt = 0;
        await closed;
      } catch (err) {
        this.log.warn({ broker: target.address, err: describeConnectError(err) }, 'cannot connect to RabbitMQ');
        index += 1; // fail over to the next broker
      }
      this.observer.connected(false);
      if (this.stopping) break;
      const delay = backoff(attempt++, this.options);
      this.observer.reconnecting();
      this.log.info({ broker: this.targets[index % this.targets.length]!.address, delayMs: delay }, 'reconnecting');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}

export function backoff(attempt: number, o: ReconnectOptions): number {
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
