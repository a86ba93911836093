/**
 * A "browser" without a person, for the conformance harness and the unit tests: it
 * follows the authorization server's redirects with fetch (cookies kept per host),
 * fills the world IdP's login form and accepts its consent form, and stops after the
 * request that reaches the loopback redirect listener.
 */
import type { BrowserOpener } from '../../src/common/oauth';

export interface HeadlessBrowserOptions {
  /** Filled into a page with `#login-form` (`username`, `password`). */
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly fetch?: (input: string | URL, init?: RequestInit) => Promise<Response>;
  readonly maxSteps?: number;
  /** Told about every URL visited, for assertions. */
  readonly onVisit?: (url: URL, method: string) => void;
}

export function createHeadlessBrowser(options: HeadlessBrowserOptions = {}): BrowserOpener {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  return async (start: URL, signal: AbortSignal) => {
    const jar = new Map<string, Map<string, string>>();
    let url = start;
    let method = 'GET';
    let body: URLSearchParams | undefined;
    for (let step = 0; step < (options.maxSteps ?? 25); step++) {
      options.onVisit?.(url, method);
      const cookies = jar.get(url.host);
      const headers: Record<string, string> = {};
      if (cookies?.size) {
        headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      }
      if (body) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
      }
      const response = await doFetch(url, { method, headers, ...(body ? { body } : {}), redirect: 'manual', signal });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair?.indexOf('=') ?? -1;
        if (pair && eq > 0) {
          const map = jar.get(url.host) ?? new Map<string, string>();
          map.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
          jar.set(url.host, map);
        }
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        url = new URL(location, url);
        method = 'GET';
        body = undefined;
        continue;
      }
      const text = await response.text();
      const form = findForm(text);
      if (!form) {
        return;
      }
      const action = new URL(form.action, url);
      if (form.id === 'login-form' && options.credentials) {
        body = new URLSearchParams({ username: options.credentials.username, password: options.credentials.password });
      } else if (form.id === 'consent-form') {
        body = new URLSearchParams({ decision: 'accept' });
      } else {
        return;
      }
      url = action;
      method = 'POST';
    }
    throw new Error('headless browser: too many steps');
  };
}

function findForm(html: string): { id: string; action: string } | undefined {
  const m = /<form\b[^>]*\bid="([^"]+)"[^>]*\baction="([^"]+)"/i.exec(html);
  return m?.[1] && m[2] ? { id: m[1], action: m[2].replace(/&amp;/g, '&') } : undefined;
}
