/**
 * `work`'s outcome, or the abort's reason as soon as `signal` aborts: for work that takes
 * no signal of its own (VS Code's getSession), so its caller can stop waiting while the
 * work itself goes on.
 */
export function untilAborted<T>(work: PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) {
    return Promise.resolve(work);
  }
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason as Error);
    if (signal.aborted) {
      stop();
    }
    signal.addEventListener('abort', stop, { once: true });
    // Settled either way: the listener goes, since callers may share one long-lived signal.
    work.then(
      value => { signal.removeEventListener('abort', stop); resolve(value); },
      (e: unknown) => { signal.removeEventListener('abort', stop); reject(e as Error); }
    );
  });
}
