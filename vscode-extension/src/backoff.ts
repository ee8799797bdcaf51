/**
 * When to restart a crashed language server. Pure: time is passed in.
 *
 * Each crash doubles the wait (1 s, 2 s, 4 s, ... capped); a server that stayed
 * up for `stableMs` is considered healthy again and the count starts over;
 * after `maxRestarts` crashes in a row the client gives up until the user
 * restarts it. Only the first crash of a series is announced to the user.
 */

export interface BackoffOptions {
  initialMs: number;
  factor: number;
  maxMs: number;
  maxRestarts: number;
  stableMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 1000,
  factor: 2,
  maxMs: 30_000,
  maxRestarts: 5,
  stableMs: 60_000,
});

export type CrashDecision =
  | { action: "restart"; delayMs: number; attempt: number; announce: boolean }
  | { action: "giveUp"; crashes: number };

export class RestartPolicy {
  private readonly options: BackoffOptions;
  private crashes = 0;
  private startedAt: number | undefined;
  private announced = false;

  constructor(options: Partial<BackoffOptions> = {}) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
  }

  /** The delay before restart number `attempt` (1-based). */
  delayFor(attempt: number): number {
    const { initialMs, factor, maxMs } = this.options;
    const raw = initialMs * Math.pow(factor, Math.max(0, attempt - 1));
    return Math.min(maxMs, Math.round(raw));
  }

  /** Call when the server is up (initialized). */
  started(now: number): void {
    this.startedAt = now;
  }

  /** Call when the server process ended without being asked to. */
  crashed(now: number): CrashDecision {
    if (this.startedAt !== undefined && now - this.startedAt >= this.options.stableMs) {
      this.crashes = 0;
      this.announced = false;
    }
    this.startedAt = undefined;
    this.crashes += 1;
    if (this.crashes > this.options.maxRestarts) {
      return { action: "giveUp", crashes: this.crashes };
    }
    const announce = !this.announced;
    this.announced = true;
    return { action: "restart", delayMs: this.delayFor(this.crashes), attempt: this.crashes, announce };
  }

  /** Call when the user restarts the server by hand: forget the series. */
  reset(): void {
    this.crashes = 0;
    this.startedAt = undefined;
    this.announced = false;
  }

  get crashCount(): number {
    return this.crashes;
  }
}
