/**
 * How each setting value is checked: the transport rule for URLs that may carry a
 * credential, the formats of ids, and readers that keep a default and report why a value
 * was refused. Pure; settings.ts builds the typed settings with them.
 */
import type { SettingProblem } from './errors';

/** Reads one dotted key below `secureMcp.`; undefined means "not set". */
export type SettingReader = (key: string) => unknown;

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const TENANT = /^(organizations|common|consumers|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/i;
export const CLIENT_ID = /^[\x21-\x7E]{1,255}$/;
export const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
export const DEPLOYMENT = /^[A-Za-z0-9._-]+$/;
/** `/…` on Linux and macOS, `C:\\…` or `\\\\server\\share` on Windows. */
export const ABSOLUTE_PATH = /^(\/|[A-Za-z]:[\\/]|\\\\[^\\]+\\)/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Loopback by name or address; IPv6 with or without the URL brackets. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * The one transport rule for anything that may carry a credential or metadata:
 * `https:`, or `http:` to this computer.
 */
export function isSecureTransport(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * Why a URL may not carry credentials, or undefined when it may: `https:`, or `http:`
 * to a loopback host, without user info or fragment.
 */
export function checkSecureUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL';
  }
  if (url.username || url.password) {
    return 'must not contain a user name or password';
  }
  if (url.hash) {
    return 'must not contain a fragment (#…)';
  }
  if (isSecureTransport(url)) {
    return undefined;
  }
  return url.protocol === 'http:' ? 'must use https:// (http:// is allowed only for localhost, 127.0.0.1 or [::1])' : `must use https:// (not ${url.protocol})`;
}

export type Check = (v: unknown) => string | undefined;
/** Reads one value: the fallback when it is missing, or wrong (then a problem says why). */
export type ValueReader = <T>(key: string, fallback: T, check: Check) => T;

export function valueReader(read: SettingReader, prefix: string, problems: SettingProblem[], server?: string): ValueReader {
  return <T>(key: string, fallback: T, check: Check): T => {
    const raw = read(key);
    if (raw === undefined || raw === null) {
      return fallback;
    }
    const why = check(raw);
    if (why) {
      problems.push({ key: `${prefix}.${key}`, message: why, ...(server !== undefined ? { server } : {}) });
      return fallback;
    }
    return raw as T;
  };
}

export const str = (pattern?: RegExp, allowEmpty = true, explain = 'has an invalid format'): Check => (v: unknown) => {
  if (typeof v !== 'string') {
    return 'must be a string';
  }
  if (v === '' && allowEmpty) {
    return undefined;
  }
  return pattern && !pattern.test(v) ? explain : undefined;
};
export const url: Check = (v: unknown) => typeof v !== 'string' ? 'must be a string' : v === '' ? undefined : checkSecureUrl(v);
export const int = (min: number, max: number): Check => (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `must be a whole number from ${min} to ${max}`;
export const bool: Check = (v: unknown) => typeof v === 'boolean' ? undefined : 'must be true or false';
export const oneOf = (values: readonly string[]): Check => (v: unknown) =>
  typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.join(', ')}`;
export const list = (item: Check): Check => (v: unknown) => {
  if (!Array.isArray(v)) {
    return 'must be a list';
  }
  for (const entry of v) {
    const why = item(entry);
    if (why) {
      return `entry ${JSON.stringify(entry)} ${why}`;
    }
  }
  return undefined;
};
export const scope: Check = (v: unknown) => typeof v === 'string' && /^\S+$/.test(v) ? undefined : 'must be a scope without spaces';
