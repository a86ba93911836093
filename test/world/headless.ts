/**
 * A person signing in, without a person: a cookie-jar browser that walks an authorization
 * server's redirects and the world IdP's login and consent pages over plain HTTP. The
 * conformance harness and the OAuth unit tests hand it to `OAuthClient` as its browser
 * (`createHeadlessBrowser`); tests that need a real delegated token (not one minted by
 * hand) run the whole authorization-code + PKCE flow with `signInHeadless`.
 */
import * as crypto from 'node:crypto';
import type { BrowserOpener } from '../../src/node/oauth';
import type { Idp } from './idp';

export interface BrowserOptions {
  /** Filled into a page's `#login-form` (`username`, `password`); without them a walk stops at a login page. */
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly fetch?: (input: string | URL, init?: RequestInit) => Promise<Response>;
  /** Told about every request, for assertions. */
  readonly onVisit?: (url: URL, method: string) => void;
}

/** Bounds every redirect chain, so a server that redirects in a circle fails the test instead of hanging it. */
const MAX_REDIRECTS = 10;

/** Just enough of a browser: cookies kept per host and manual redirects, so every hop is visible. */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  constructor(private readonly options: BrowserOptions = {}) {}

  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    this.options.onVisit?.(target, init.method ?? 'GET');
    const headers = new Headers(init.headers);
    const cookies = this.jar.get(target.host);
    if (cookies?.size) {
      headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await (this.options.fetch ?? fetch)(target, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) {
        const host = this.jar.get(target.host) ?? new Map<string, string>();
        host.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        this.jar.set(target.host, host);
      }
    }
    return res;
  }

  /**
   * Follows redirects until a page answers or one leaves for `stopAt` (the client's loopback
   * redirect URI, when no listener is there to fetch it); `url` is where it stopped.
   */
  async follow(url: string | URL, stopAt?: string, init: RequestInit = {}): Promise<{ res: Response; url: string }> {
    let current = new URL(url);
    let res = await this.request(current, init);
    for (let hops = 0; hops < MAX_REDIRECTS; hops++) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) {
        return { res, url: current.href };
      }
      current = new URL(location, current);
      if (stopAt && current.href.startsWith(stopAt)) {
        return { res, url: current.href };
      }
      await res.body?.cancel();
      res = await this.request(current, { signal: init.signal ?? null });
    }
    throw new Error('headless browser: too many redirects');
  }

  /**
   * Behaves like the person at the keyboard: follows redirects, signs in on the login page,
   * accepts the consent page, and ends on the first page without a form it knows (such as
   * the loopback listener's reply) or before `stopAt`. Each form is submitted at most once,
   * which bounds the walk.
   */
  async walk(start: string | URL, options: { stopAt?: string; signal?: AbortSignal } = {}): Promise<{ status: number; url: string }> {
    const submitted = new Set<string>();
    let step = await this.follow(start, options.stopAt, { signal: options.signal ?? null });
    for (;;) {
      if (options.stopAt && step.url.startsWith(options.stopAt)) {
        return { status: step.res.status, url: step.url };
      }
      const form = findForm(await step.res.text());
      const fields = form && this.fieldsFor(form.id);
      if (!form || !fields) {
        return { status: step.res.status, url: step.url };
      }
      // A form shown again after it was submitted was refused (a wrong password); submitting it again would loop.
      if (submitted.has(form.id)) {
        throw new Error(`headless browser: #${form.id} was shown again after it was submitted`);
      }
      submitted.add(form.id);
      step = await this.follow(new URL(form.action, step.url), options.stopAt, { ...formPost(fields), signal: options.signal ?? null });
    }
  }

  private fieldsFor(formId: string): Record<string, string> | undefined {
    if (formId === 'login-form' && this.options.credentials) {
      return { username: this.options.credentials.username, password: this.options.credentials.password };
    }
    return formId === 'consent-form' ? { decision: 'accept' } : undefined;
  }
}

/** An `OAuthClient` browser that walks each authorization URL with a fresh cookie jar, ending after the loopback listener answers. */
export function createHeadlessBrowser(options: BrowserOptions = {}): BrowserOpener {
  return async (url, signal) => {
    await new Browser(options).walk(url, { signal });
  };
}

function findForm(html: string): { id: string; action: string } | undefined {
  const m = /<form\b[^>]*\bid="([^"]+)"[^>]*\baction="([^"]+)"/i.exec(html);
  return m?.[1] && m[2] ? { id: m[1], action: decodeEntities(m[2]) } : undefined;
}

function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d+)|amp);/g, (_, code?: string) => code ? String.fromCharCode(Number(code)) : '&');
}

export interface HeadlessTokens {
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const formPost = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString()
});

/** Signs `username` in through the login page and redeems the code; throws on any failure. */
export async function signInHeadless(idp: Idp, options: { username: string; password: string; scope: string; clientId?: string }): Promise<HeadlessTokens> {
  const browser = new Browser({ credentials: { username: options.username, password: options.password } });
  const redirectUri = 'http://127.0.0.1:53682/';
  const clientId = options.clientId ?? idp.extensionClientId;
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const state = crypto.randomBytes(16).toString('base64url');
  const authorize = new URL(idp.authorizationEndpoint);
  authorize.search = new URLSearchParams({
    client_id: clientId, response_type: 'code', redirect_uri: redirectUri,
    scope: `openid offline_access ${options.scope}`, code_challenge: challenge, code_challenge_method: 'S256', state
  }).toString();
  const end = await browser.walk(authorize, { stopAt: redirectUri });
  if (!end.url.startsWith(redirectUri)) {
    throw new Error(`sign-in did not complete: stopped at ${new URL(end.url).pathname} (HTTP ${end.status})`);
  }
  const callback = new URL(end.url);
  const code = callback.searchParams.get('code');
  if (callback.searchParams.get('state') !== state || !code) {
    throw new Error(`sign-in failed: ${callback.searchParams.get('error') ?? 'state mismatch'}`);
  }
  return redeem(idp, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier });
}

/** The refresh grant, as a provider does silently when an access token expired. */
export function refreshHeadless(idp: Idp, refreshToken: string, clientId = idp.extensionClientId): Promise<HeadlessTokens> {
  return redeem(idp, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
}

async function redeem(idp: Idp, fields: Record<string, string>): Promise<HeadlessTokens> {
  const res = await fetch(idp.tokenEndpoint, formPost(fields));
  const body = await res.json() as { access_token?: string; refresh_token?: string; expires_in?: number; error?: string; error_description?: string };
  if (!res.ok || !body.access_token) {
    throw new Error(`token endpoint answered ${res.status}: ${body.error ?? ''} ${body.error_description ?? ''}`.trim());
  }
  return {
    accessToken: body.access_token,
    ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
    expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000
  };
}
