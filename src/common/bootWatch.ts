/** Timers, injectable so tests can run the clock. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BootWatchOptions {
  /** How long a page may take to say it booted before it is reloaded. */
  readonly intervalMs: number;
  /** Reloads at most this many times. */
  readonly attempts: number;
  /** Reload the page (attempt counts from 1). */
  readonly reload: (attempt: number) => void;
  /** Called once when the last reload did not help either. */
  readonly gaveUp: () => void;
  readonly timers?: Timers;
}

export interface BootWatch {
  /** The page said it booted: stop watching. */
  booted(): void;
  /** The page is gone (answered, closed): stop watching. */
  stop(): void;
}

/**
 * Watches a webview page boot. A page that stays blank (its script never ran, or its
 * `ready` was lost on the way) is reloaded, a bounded number of times, instead of leaving
 * the user in front of an empty panel until the question times out.
 */
export function watchBoot(options: BootWatchOptions): BootWatch {
  const timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: h => clearTimeout(h as ReturnType<typeof setTimeout>) };
  let attempt = 0;
  let handle: unknown;
  let done = false;
  const arm = () => {
    handle = timers.setTimeout(() => {
      if (done) {
        return;
      }
      if (attempt >= options.attempts) {
        done = true;
        options.gaveUp();
        return;
      }
      attempt += 1;
      options.reload(attempt);
      arm();
    }, options.intervalMs);
  };
  const stop = () => {
    if (!done) {
      done = true;
      timers.clearTimeout(handle);
    }
  };
  arm();
  return { booted: stop, stop };
}
