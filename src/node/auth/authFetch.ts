import { setMaxListeners } from 'node:events';
import { AuthRequiredError, IdentityProviderError, InsufficientScopeError, ProtocolError, SecureMcpError } from '../../common/errors';
import { mask, maskError, scoped, type Logger } from '../../common/log';
import { bearerChallenge, type BearerChallenge } from '../../common/auth/challenge';
import type { AccessToken, TokenSource } from '../../common/auth/tokenSource';
import { scopeApi } from '../../common/settings';
import { SharedAttempt } from './sharedAttempt';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface AuthFetchOptions {
  /** The configured MCP server; its origin is the only one that ever sees the token. */
  readonly serverUrl: URL;
  readonly tokens: TokenSource;
  /** Scopes to request normally. */
  readonly scopes: readonly string[];
  /**
   * Scopes a 403 `insufficient_scope` may step up to. A challenged scope outside this
   * list is refused, so a server cannot make the client ask for arbitrary consent.
   */
  readonly allowedScopes: readonly string[];
  /**
   * Also allow the other scopes of an API an allowed scope names (`api://<id>/…`), so a
   * server can step up to more of its own permissions without listing them up front. A
   * scope of another API, or `.default`, is still refused: its token would be meant for
   * someone else and must never reach this server.
   */
  readonly stepUpWithinApi?: boolean;
  readonly fetch?: FetchLike;
  readonly logger: Logger;
  /** Step-ups allowed over the life of this fetch (not per request), so a server cannot loop us. */
  readonly maxStepUps?: number;
  /** Same-origin redirects followed per request. */
  readonly maxRedirects?: number;
  /**
   * Told once per failure that silent refresh or step-up could not fix; the UI offers
   * "Sign in again" (with `signInScopes()`).
   */
  readonly onAuthRequired?: (error: AuthRequiredError | InsufficientScopeError) => void;
  /** Told whenever the token in use changes (account, expiry), for the status bar. */
  readonly onToken?: (token: AccessToken) => void;
  /**
   * While the source has no token and the server has not yet challenged, send requests
   * without one (only to the server's origin), as the MCP authorization spec expects of a
   * client that signs in on demand: the first 401 names the scope, the source is asked
   * again and the request retried once. Off in the product, whose providers are asked
   * for the configured scopes up front.
   */
  readonly anonymousUntilChallenged?: boolean;
  /**
   * How long one token request may take before the requests waiting for it fail, so a
   * hung identity provider fails them as such, not at each call's own timeout.
   */
  readonly tokenDeadlineMs?: number;
  /**
   * How long a failed token request is remembered: requests in that window fail with the
   * same error at once instead of asking the identity provider again.
   */
  readonly rememberTokenFailureMs?: number;
}

export interface AuthFetch extends FetchLike {
  /** The challenge from the most recent 401/403, for diagnostics and discovery. */
  readonly lastChallenge: () => BearerChallenge | undefined;
  readonly currentScopes: () => readonly string[];
  /** What an interactive sign-in should ask for: the current scopes plus a step-up silent acquisition could not get. */
  readonly signInScopes: () => readonly string[];
  /**
   * Drops the token in hand (not as rejected): the provider's sessions changed, so the
   * next request asks it again, silently, and uses whatever account is signed in now.
   */
  readonly forgetToken: () => void;
  /**
   * `mask()` that also removes the exact tokens this fetch recently sent, for text a
   * server chose (an error body, a JSON-RPC error) before it reaches an error message.
   */
  readonly redact: (text: string) => string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Tokens remembered for redact(): a late response may still echo one refreshed away.
const REMEMBERED_TOKENS = 4;
const unlimited = new WeakSet<AbortSignal>();

/**
 * Wraps `fetch` for the MCP SDK transport: a fresh bearer on every request to the
 * server's origin and nowhere else, redirects followed only within that origin, one
 * shared silent refresh on 401 then one retry, and bounded step-up on 403.
 */
export function createAuthFetch(options: AuthFetchOptions): AuthFetch {
  const base = options.fetch ?? ((input, init) => fetch(input, init));
  const log = scoped(options.logger, 'auth');
  const origin = options.serverUrl.origin;
  const maxRedirects = options.maxRedirects ?? 3;
  let stepUpsLeft = options.maxStepUps ?? 2;
  let scopes = [...options.scopes];
  // A step-up that needs the user: kept for the next interactive sign-in, not for silent requests.
  let signInExtra: string[] = [];
  let current: AccessToken | undefined;
  const tokenDeadlineMs = options.tokenDeadlineMs ?? 30_000;
  // F8: one token request per episode, shared by every request that needs it.
  const tokenAttempt = new SharedAttempt<AccessToken | undefined>({
    deadlineMs: tokenDeadlineMs,
    rememberFailureMs: options.rememberTokenFailureMs ?? 3_000,
    timedOut: () => new IdentityProviderError(`The identity provider did not answer within ${Math.ceil(tokenDeadlineMs / 1000)} s, so no token could be obtained. Try again in a moment.`),
    failure: e => identityProviderFailure(e, redact)
  });
  let challenge: BearerChallenge | undefined;
  // The user is asked once per failure, not once per request: reset when a request works again.
  let asked = false;
  // Tokens already refreshed away; a late 401 for one of them must not start another refresh.
  const retired = new Set<string>();
  // The tokens recently put into an Authorization header, newest last, for redact().
  const sent: string[] = [];
  const redact = (text: string) => mask(text, sent);
  function remember(token: string): void {
    if (sent.at(-1) === token) {
      return;
    }
    const i = sent.indexOf(token);
    if (i >= 0) {
      sent.splice(i, 1);
    }
    sent.push(token);
    if (sent.length > REMEMBERED_TOKENS) {
      sent.shift();
    }
  }

  /** Concurrent callers share one token request; the provider is asked once per need (F8). */
  function acquire(rejected: string | undefined, signal: AbortSignal | undefined): Promise<AccessToken | undefined> {
    if (rejected !== undefined && (retired.has(rejected) || (current && current.token !== rejected))) {
      // Someone else already replaced the rejected token (and maybe saw the new one fail too).
      return Promise.resolve(current);
    }
    if (rejected === undefined && current && !isExpiring(current)) {
      return Promise.resolve(current);
    }
    // The source gets the attempt's signal, not this caller's: one caller giving up must not fail the others.
    return tokenAttempt.run(attempt => options.tokens.getToken({ scopes, ...(rejected !== undefined ? { rejected } : {}), signal: attempt })
      // Kept even when it comes late (past the deadline, or once nobody waits): it is still the provider's newest token.
      .then(t => {
        if (rejected !== undefined) {
          retired.add(rejected);
        }
        if (t && t.token !== current?.token) {
          options.onToken?.(t);
        }
        current = t;
        return t;
      }), signal);
  }

  /** Sends to the server's origin, with the token, or with no credentials at all when there is none. */
  async function send(url: URL, init: RequestInit, token: string | undefined): Promise<Response> {
    if (token !== undefined) {
      remember(token);
    }
    let target = url;
    let request = init;
    for (let hop = 0; ; hop++) {
      const headers = new Headers(request.headers);
      if (token === undefined) {
        headers.delete('authorization');
      } else {
        headers.set('Authorization', `Bearer ${token}`);
      }
      const response = await base(target, { method: request.method, body: request.body, signal: request.signal, headers, redirect: 'manual' })
        .catch((e: unknown) => { throw maskError(e, redact); });
      if (!REDIRECTS.has(response.status)) {
        return response;
      }
      const location = response.headers.get('location');
      const next = location ? new URL(location, target) : undefined;
      await response.body?.cancel();
      if (!next || next.origin !== origin) {
        log.warn(`redirect from ${target.origin} to ${next ? next.origin : 'nowhere'} not followed: the token is only sent to ${origin}`);
        throw new ProtocolError(redact(`The server redirected to ${next ? next.origin : 'an invalid location'}; Secure MCP sends your token only to ${origin}, so it did not follow.`));
      }
      if (hop >= maxRedirects) {
        throw new ProtocolError(`Too many redirects from ${origin}.`);
      }
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && request.method === 'POST')) {
        request = { ...request, method: 'GET', body: null };
      }
      target = next;
    }
  }

  const authFetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof URL ? input : new URL(input instanceof Request ? input.url : input);
    const given: RequestInit = input instanceof Request ? { method: input.method, headers: input.headers, body: input.body, signal: input.signal, ...init } : init ?? {};
    if (url.origin !== origin) {
      // Not our server: never attach or forward credentials.
      const headers = new Headers(given.headers);
      headers.delete('authorization');
      return base(url, { ...given, headers, redirect: 'manual' });
    }
    if (given.body instanceof ReadableStream) {
      throw new ProtocolError('Streaming request bodies cannot be retried after a refresh.');
    }
    const signal = given.signal ?? undefined;
    if (signal && !unlimited.has(signal)) {
      // The SDK passes one long-lived signal to every request, and fetch keeps a listener on
      // it until that request is garbage-collected: harmless, but past 10 listeners Node
      // warns on every call. A dependent signal per request would cost more than the call.
      setMaxListeners(0, signal);
      unlimited.add(signal);
    }
    const requestInit = given;

    // Fast path without an extra await: the token is fresh.
    let token = current && !isExpiring(current) && !tokenAttempt.busy ? current : await acquire(undefined, signal);
    if (!token && options.anonymousUntilChallenged && !challenge) {
      const anonymous = await send(url, requestInit, undefined);
      if (anonymous.status !== 401) {
        return anonymous;
      }
      challenge = bearerChallenge(anonymous.headers.get('www-authenticate'));
      await anonymous.body?.cancel();
      log.info(`401 without a token (${challenge?.scope ? `scope ${challenge.scope}` : 'no scope named'}); signing in`);
      token = await acquire(undefined, signal);
    }
    if (!token) {
      throw notSignedIn();
    }
    let response = await send(url, requestInit, token.token);

    if (response.status === 401) {
      challenge = bearerChallenge(response.headers.get('www-authenticate'));
      log.info(`401 from server (${challenge?.error ?? 'no error code'}); refreshing silently`);
      const rejected = token.token;
      await response.body?.cancel();
      token = await acquire(rejected, signal);
      if (!token || token.token === rejected) {
        throw signInAgain(rejected);
      }
      response = await send(url, requestInit, token.token);
      if (response.status === 401) {
        await response.body?.cancel();
        challenge = bearerChallenge(response.headers.get('www-authenticate'));
        throw signInAgain(token.token);
      }
    }

    if (response.status === 403) {
      const c = bearerChallenge(response.headers.get('www-authenticate'));
      if (c?.error === 'insufficient_scope') {
        challenge = c;
        await response.body?.cancel();
        const wanted = resolveChallengedScopes(c.scope, options.allowedScopes, options.stepUpWithinApi);
        if (!wanted.length) {
          throw new InsufficientScopeError(redact(`The server needs scope "${c.scope ?? '(unspecified)'}", which is not one of the scopes configured for it.`), c.scope);
        }
        if (stepUpsLeft <= 0) {
          throw new InsufficientScopeError('The server keeps asking for more scopes; stopped to avoid a loop.', c.scope);
        }
        const before = scopes;
        // A13: the new grant covers what the token already had (even scopes the
        // authorization server chose itself) plus what the server asks for.
        scopes = [...new Set([...scopes, ...token.scopes, ...wanted])];
        log.info(`403 insufficient_scope; stepping up to ${scopes.join(' ')}`);
        // Not a refresh: the token is valid, only narrower than the server wants.
        const narrow = token.token;
        current = undefined;
        token = await acquire(undefined, signal);
        if (!token || token.token === narrow) {
          // Silent requests keep working with the old scopes; only the sign-in asks for more.
          scopes = before;
          signInExtra = wanted.filter(w => !before.includes(w));
          const missing = wanted.join(' ');
          throw notify(new InsufficientScopeError(`The server needs the scope ${missing}, which needs your consent. Sign in again to grant it.`, missing));
        }
        stepUpsLeft--;
        signInExtra = [];
        response = await send(url, requestInit, token.token);
      }
    }
    if (response.status !== 401 && response.status !== 403) {
      asked = false;
    }
    return response;
  }) as AuthFetch;

  function notify<E extends AuthRequiredError | InsufficientScopeError>(e: E): E {
    if (!asked) {
      asked = true;
      options.onAuthRequired?.(e);
    }
    return e;
  }
  function notSignedIn(): AuthRequiredError {
    return notify(new AuthRequiredError('Not signed in. Sign in to use the MCP server.'));
  }
  function signInAgain(rejected: string): AuthRequiredError {
    if (current?.token === rejected) {
      current = undefined;
    }
    retired.add(rejected);
    return notify(new AuthRequiredError('The server rejected the token and it could not be refreshed silently. Sign in again.'));
  }

  Object.defineProperty(authFetch, 'lastChallenge', { value: () => challenge });
  Object.defineProperty(authFetch, 'currentScopes', { value: () => scopes });
  Object.defineProperty(authFetch, 'signInScopes', { value: () => [...new Set([...scopes, ...signInExtra])] });
  Object.defineProperty(authFetch, 'redact', { value: redact });
  // New sessions are a reason to ask the provider again now, even just after it failed.
  Object.defineProperty(authFetch, 'forgetToken', { value: () => { current = undefined; tokenAttempt.forgetFailure(); } });
  return authFetch;
}

/**
 * What the requests waiting for a token fail with when the source throws. A product error
 * already names its cause (a refused authorization setup, say); anything else (a refused
 * connection, a 503) is the identity provider's. The original is described, not linked as
 * `cause`: a network error code down the chain would make the session retry, and finally
 * report, the MCP server as unreachable.
 */
function identityProviderFailure(e: unknown, redact: (text: string) => string): Error {
  if (e instanceof SecureMcpError) {
    return e;
  }
  return new IdentityProviderError(redact(`The identity provider could not issue a token (${describeFailure(e)}). Try again in a moment.`));
}

/** An error's message with the system error code under it (ECONNREFUSED…), which the message of a failed fetch leaves out. */
function describeFailure(e: unknown): string {
  if (!(e instanceof Error)) {
    return String(e);
  }
  const code = [e, e.cause].map(x => (x as { code?: unknown } | undefined)?.code).find(c => typeof c === 'string');
  return code ? `${e.message}: ${code}` : e.message;
}

/** Treat a token within a minute of expiry as expired, so no request races its expiry. */
function isExpiring(t: AccessToken): boolean {
  return t.expiresAt !== undefined && t.expiresAt - Date.now() < 60_000;
}

/**
 * Maps challenged scopes onto allowed ones, all or nothing. Servers behind Entra often
 * challenge with the bare `mcp:tools` while the token must be requested as
 * `api://…/mcp:tools`. With `withinApi`, other scopes of an allowed scope's API are
 * accepted too (bare ones mapped onto it when only one API is configured), never
 * another API's scopes nor `.default`.
 */
export function resolveChallengedScopes(challenged: string | undefined, allowed: readonly string[], withinApi = false): string[] {
  if (!challenged) {
    return [];
  }
  const apis = [...new Set(allowed.map(scopeApi).filter(Boolean))];
  const out: string[] = [];
  for (const s of challenged.split(/\s+/).filter(Boolean)) {
    let match = allowed.find(a => a === s) ?? allowed.find(a => a.endsWith(`/${s}`));
    if (!match && withinApi && !s.endsWith('.default')) {
      const api = scopeApi(s);
      if (api && apis.includes(api)) {
        match = s;
      } else if (!api && apis.length === 1) {
        match = `${apis[0]}${s}`;
      }
    }
    if (!match) {
      return [];
    }
    out.push(match);
  }
  return [...new Set(out)];
}
