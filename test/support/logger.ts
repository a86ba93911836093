import type { Logger } from '../../src/common/log';

/** A logger that keeps every line (errors with their stack), so tests can assert what was logged. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string | Error) => {
    lines.push(m instanceof Error ? `${m.name}: ${m.message}\n${m.stack ?? ''}` : m);
  };
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
