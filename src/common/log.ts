/** The logger every component receives; the VS Code side backs it with one LogOutputChannel. */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

/** A logger whose lines start with `[component]`. */
export function scoped(logger: Logger, component: string): Logger {
  const p = (m: string) => `[${component}] ${m}`;
  return {
    trace: m => logger.trace(p(m)),
    debug: m => logger.debug(p(m)),
    info: m => logger.info(p(m)),
    warn: m => logger.warn(p(m)),
    error: m => logger.error(m instanceof Error ? p(`${m.name}: ${mask(m.message)}`) : p(m))
  };
}

const BEARER = /\b(Bearer|Basic|DPoP)\s+[A-Za-z0-9\-._~+/]+=*/gi;
// The value: an optional scheme, then one token (token68, %-escapes, or an earlier ***).
// It ends with the token so that masking text twice (an error message quoting a masked
// one) cannot swallow the words after it.
const AUTH_HEADER = /("?(?:authorization|api-key|x-api-key|proxy-authorization)"?\s*[:=]\s*"?)(?:[A-Za-z][\w-]*[ \t]+)?[\w\-.~+/%*]+=*/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const SECRET_PARAM = /([?&#](?:access_token|id_token|refresh_token|code|client_secret|api-key|key)=)[^&#\s]+/gi;
const OPENAI_KEY = /\bsk-[A-Za-z0-9_-]{8,}/g;

// Shorter "secrets" are not worth masking exactly: replacing them would mangle ordinary text.
const MIN_EXACT_SECRET = 12;

/**
 * Removes anything that looks like a credential, and every occurrence of the exact
 * `secrets` given (an opaque token matches no pattern). Applied to every log line, so a
 * mistake elsewhere cannot leak a token into the output channel.
 */
export function mask(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_EXACT_SECRET) {
      out = out.split(secret).join('***');
    }
  }
  return out
    .replace(AUTH_HEADER, '$1***')
    .replace(BEARER, '$1 ***')
    .replace(JWT, '***jwt***')
    .replace(SECRET_PARAM, '$1***')
    .replace(OPENAI_KEY, 'sk-***');
}

/** Wraps a logger so every line is masked before it is written. */
export function masking(logger: Logger): Logger {
  return {
    trace: m => logger.trace(mask(m)),
    debug: m => logger.debug(mask(m)),
    info: m => logger.info(mask(m)),
    warn: m => logger.warn(mask(m)),
    error: m => logger.error(mask(m instanceof Error ? `${m.name}: ${m.message}` : m))
  };
}

// Deeper than any sensible result; beyond it the rest is masked as one JSON string, not walked.
const MAX_MASKED_DEPTH = 64;

/**
 * A copy of a JSON value (a tool result, a progress notification, a tool definition) with
 * every string in it, keys too, passed through `redact`. `redact` defaults to {@link mask};
 * pass one that also knows the exact tokens sent.
 */
export function maskValue<T>(value: T, redact: (text: string) => string = mask): T {
  return walk(value, redact, 0) as T;
}

function walk(value: unknown, redact: (text: string) => string, depth: number): unknown {
  if (typeof value === 'string') {
    return redact(value);
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  if (depth >= MAX_MASKED_DEPTH) {
    return redact(JSON.stringify(value));
  }
  if (Array.isArray(value)) {
    return value.map(v => walk(v, redact, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[redact(k)] = walk(v, redact, depth + 1);
  }
  return out;
}

const MAX_MASKED_ERRORS = 16;

/**
 * Masks the message and stack of an error and of its causes, in place, so text a peer
 * chose (an error body echoing the request's Authorization header) cannot carry a
 * credential on to the status bar, a notification or a chat reply. The same object is
 * returned, class and fields intact, so `instanceof` and status codes still work.
 * `redact` defaults to {@link mask}; pass one that also knows the exact tokens sent.
 */
export function maskError<T>(error: T, redact: (text: string) => string = mask): T {
  const seen = new Set<Error>();
  const queue: unknown[] = [error];
  while (queue.length && seen.size < MAX_MASKED_ERRORS) {
    const e = queue.shift();
    if (!(e instanceof Error) || seen.has(e)) {
      continue;
    }
    seen.add(e);
    rewrite(e, 'message', redact);
    rewrite(e, 'stack', redact);
    queue.push((e as { cause?: unknown }).cause);
    if (e instanceof AggregateError && Array.isArray(e.errors)) {
      queue.push(...(e.errors as unknown[]));
    }
  }
  return error;
}

function rewrite(e: Error, key: 'message' | 'stack', redact: (text: string) => string): void {
  const value = e[key];
  if (typeof value !== 'string') {
    return;
  }
  const masked = redact(value);
  if (masked !== value) {
    try {
      Object.defineProperty(e, key, { value: masked, writable: true, configurable: true, enumerable: false });
    } catch {
      // A frozen error keeps its text; nothing here can change that.
    }
  }
}
