export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly retryAfterMs: number };

export interface RateLimitOptions {
  /** Requests allowed in a burst and refilled per `perMs` (default 5 per minute). */
  readonly capacity?: number;
  readonly perMs?: number;
  readonly now?: () => number;
}

/**
 * A token bucket per server, so a server cannot bury the user in elicitation prompts.
 * Declines carry a reason the log and the user can read.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;
  private readonly perMs: number;
  private readonly now: () => number;

  constructor(options: RateLimitOptions = {}) {
    this.capacity = Math.max(1, options.capacity ?? 5);
    this.perMs = Math.max(1, options.perMs ?? 60_000);
    this.now = options.now ?? Date.now;
  }

  take(key: string): RateDecision {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: t };
    b.tokens = Math.min(this.capacity, b.tokens + ((t - b.at) * this.capacity) / this.perMs);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    const retryAfterMs = Math.ceil(((1 - b.tokens) * this.perMs) / this.capacity);
    return {
      ok: false,
      retryAfterMs,
      reason: `The server asked for input more than ${this.capacity} times in ${Math.round(this.perMs / 1000)} s; this request was declined. Try again in ${Math.ceil(retryAfterMs / 1000)} s.`
    };
  }
}
