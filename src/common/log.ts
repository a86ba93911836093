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
const AUTH_HEADER = /("?(?:authorization|api-key|x-api-key|proxy-authorization)"?\s*[:=]\s*"?)[^",}\r\n]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const SECRET_PARAM = /([?&#](?:access_token|id_token|refresh_token|code|client_secret|api-key|key)=)[^&#\s]+/gi;
const OPENAI_KEY = /\bsk-[A-Za-z0-9_-]{8,}/g;

/**
 * Removes anything that looks like a credential. Applied to every log line, so a
 * mistake elsewhere cannot leak a token into the output channel.
 */
export function mask(text: string): string {
  return text
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
