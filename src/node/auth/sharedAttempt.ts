import { untilAborted } from '../../common/abort';

export interface SharedAttemptOptions {
  /** How long a failed attempt's error is given to new callers instead of trying again. */
  readonly rememberFailureMs: number;
  /** How long one attempt may run; then its signal is aborted and its callers fail. */
  readonly deadlineMs: number;
  /** The error the waiting callers get when the deadline passes. */
  readonly timedOut: () => Error;
  /** What the callers get when the attempt itself throws. */
  readonly failure: (thrown: unknown) => Error;
}

interface Attempt<T> {
  readonly controller: AbortController;
  readonly result: Promise<T>;
  waiters: number;
}

/**
 * One attempt at a time, shared by every caller that wants its result while it runs. A
 * failure is remembered for a short while, so a burst of callers is told at once rather
 * than each trying again; the attempt has its own deadline, and is cancelled when every
 * caller waiting for it has given up.
 */
export class SharedAttempt<T> {
  private running: Attempt<T> | undefined;
  private failed: { readonly error: Error; readonly until: number } | undefined;

  constructor(private readonly options: SharedAttemptOptions) {}

  /** Whether an attempt is under way (its result may replace what the caller holds). */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /**
   * The running attempt's result, or that of a new one made with `start`. `signal` is the
   * caller's own: when it aborts, this caller stops waiting (with the abort's reason),
   * and the attempt stops when nobody is left.
   */
  run(start: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) {
      return Promise.reject(signal.reason as Error);
    }
    if (this.failed && Date.now() < this.failed.until) {
      return Promise.reject(this.failed.error);
    }
    this.failed = undefined;
    this.running ??= this.begin(start);
    return this.join(this.running, signal);
  }

  /** Forgets a remembered failure: something changed (a sign-in, say) that makes trying again worthwhile. */
  forgetFailure(): void {
    this.failed = undefined;
  }

  private begin(start: (signal: AbortSignal) => Promise<T>): Attempt<T> {
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(this.options.timedOut()), this.options.deadlineMs);
    const attempt: Attempt<T> = {
      controller,
      waiters: 0,
      // A source that ignores its signal must not hold the callers past the deadline.
      result: untilAborted(new Promise<T>(resolve => resolve(start(controller.signal))), controller.signal)
        .then(
          value => { this.end(attempt); return value; },
          (e: unknown) => { throw this.fail(attempt, e); }
        )
        .finally(() => clearTimeout(deadline))
    };
    return attempt;
  }

  private end(attempt: Attempt<T>): void {
    if (this.running === attempt) {
      this.running = undefined;
    }
  }

  /** The error the callers get; remembered unless the attempt was abandoned, which is nobody's failure. */
  private fail(attempt: Attempt<T>, thrown: unknown): Error {
    const signal = attempt.controller.signal;
    const error = signal.aborted ? signal.reason as Error : this.options.failure(thrown);
    if (this.running === attempt) {
      this.running = undefined;
      this.failed = { error, until: Date.now() + this.options.rememberFailureMs };
    }
    return error;
  }

  private join(attempt: Attempt<T>, signal: AbortSignal | undefined): Promise<T> {
    attempt.waiters++;
    if (!signal) {
      // This caller never gives up, so the attempt runs until it settles or its deadline.
      return attempt.result;
    }
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        reject(signal.reason as Error);
        if (--attempt.waiters === 0) {
          this.abandon(attempt);
        }
      };
      signal.addEventListener('abort', leave, { once: true });
      // The listener goes with the attempt: callers share one long-lived signal.
      attempt.result.then(
        value => { signal.removeEventListener('abort', leave); resolve(value); },
        (e: unknown) => { signal.removeEventListener('abort', leave); reject(e as Error); }
      );
    });
  }

  private abandon(attempt: Attempt<T>): void {
    this.end(attempt);
    attempt.controller.abort(new DOMException('Nobody waits for the result any more.', 'AbortError'));
  }
}
