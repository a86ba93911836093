/**
 * Stored grants: which one serves a request, refreshing one through the SDK's `auth()`,
 * and the record a token response becomes.
 */
import * as crypto from 'node:crypto';
import { auth } from '@modelcontextprotocol/client';
import type { OAuthTokens } from '@modelcontextprotocol/client';
import { decodeClaims } from '../../common/auth/claims';
import type { AccessToken } from '../../common/auth/tokenSource';
import type { FetchLike } from '../auth/authFetch';
import { AuthRequiredError, IdentityProviderError } from '../../common/errors';
import type { TokenRecord } from '../../common/oauth/store';
import { grantCovers } from '../../common/settings';
import type { VerifiedDiscovery } from './discovery';
import { FlowProvider } from './flow';
import type { OAuthContext } from './options';

const TOKEN_EARLY_MS = 60_000;

/**
 * The newest stored grant for the server whose scopes cover all of `scopes`, and whether
 * its access token can be used as it is: not the one just `rejected`, not about to expire.
 */
export async function findGrant(ctx: Pick<OAuthContext, 'store' | 'now'>, serverUrl: URL, scopes: readonly string[], rejected: string | undefined): Promise<{ record: TokenRecord; usable: boolean } | undefined> {
  const candidates = (await ctx.store.listTokens())
    .filter(r => r.server === serverUrl.href && grantCovers(r.scope, scopes))
    .sort((a, b) => b.createdAt - a.createdAt);
  const record = candidates[0];
  if (!record) {
    return undefined;
  }
  return { record, usable: record.accessToken !== rejected && (record.expiresAt === undefined || record.expiresAt - ctx.now() > TOKEN_EARLY_MS) };
}

/**
 * Refreshes one grant through `auth()`; undefined when the user has to sign in again.
 * `signal` aborts the token request (discovery is shared with other callers, so not it).
 */
export async function refreshGrant(ctx: OAuthContext, serverUrl: URL, record: TokenRecord, discovery: VerifiedDiscovery, signal?: AbortSignal): Promise<TokenRecord | undefined> {
  if (discovery.issuer !== record.issuer) {
    // The server moved to another authorization server; its refresh token must not follow (A9).
    ctx.log.warn(`${serverUrl.href} now uses ${discovery.issuer}, not ${record.issuer}; sign in again`);
    return undefined;
  }
  const flow = new FlowProvider(ctx, discovery, { mode: 'refresh', record });
  const transport = new WatchedFetch(signal ? withSignal(ctx.endpointFetch, signal) : ctx.endpointFetch);
  try {
    await auth(flow, { serverUrl, ...(record.scope ? { scope: record.scope } : {}), fetchFn: transport.fetch });
  } catch (e) {
    // auth() answers a refresh that failed on the way (refused, aborted, a 5xx page) by
    // starting a new authorization, which refresh mode refuses: that is the identity
    // provider's failure, and must not cost the user the grant.
    if (transport.failure !== undefined) {
      throw transport.failure;
    }
    if (e instanceof AuthRequiredError) {
      await ctx.store.deleteToken(record.server, record.issuer, record.scope);
      ctx.log.info(`refresh for ${serverUrl.href} not possible; sign-in needed`);
      return undefined;
    }
    throw e;
  }
  const tokens = flow.savedTokens;
  if (!tokens) {
    return undefined;
  }
  const next = toRecord(ctx, discovery, record.scope, tokens, flow.resource, record);
  await ctx.store.saveToken(next);
  ctx.log.info(`refreshed the token for ${serverUrl.href}`);
  return next;
}

/** A `fetch` that keeps the first failure under it: a thrown error, or a 5xx answer. */
class WatchedFetch {
  failure: unknown;
  constructor(private readonly base: FetchLike) {}

  readonly fetch: FetchLike = async (input, init) => {
    try {
      const response = await this.base(input, init);
      if (response.status >= 500) {
        const origin = new URL(input instanceof Request ? input.url : input.toString()).origin;
        this.failure ??= new IdentityProviderError(`The identity provider at ${origin} is failing (HTTP ${response.status}).`);
      }
      return response;
    } catch (e) {
      this.failure ??= e;
      throw e;
    }
  };
}

/** `fetch` whose requests also stop when `signal` aborts (`auth()` takes no signal of its own). */
function withSignal(fetch: FetchLike, signal: AbortSignal): FetchLike {
  return (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
}

/** The grant a token response makes; a refreshed one keeps its account and creation time. */
export function toRecord(ctx: Pick<OAuthContext, 'now'>, discovery: VerifiedDiscovery, scope: string, tokens: OAuthTokens, resource: string | undefined, previous?: TokenRecord): TokenRecord {
  const account = previous?.account ?? accountOf(tokens.access_token, discovery.issuer);
  return {
    server: discovery.serverUrl,
    issuer: discovery.issuer,
    scope,
    ...(resource ? { resource } : {}),
    accessToken: tokens.access_token,
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    ...(tokens.expires_in !== undefined ? { expiresAt: ctx.now() + tokens.expires_in * 1000 } : {}),
    ...(tokens.scope ? { grantedScope: tokens.scope } : {}),
    account,
    createdAt: previous?.createdAt ?? ctx.now()
  };
}

/** Who the token is for, for the Accounts menu only; never used for a security decision. */
function accountOf(token: string, issuer: string): { id: string; label: string } {
  const claims = decodeClaims(token);
  if (claims) {
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const id = str(claims.oid) ?? str(claims.sub);
    const label = str(claims.preferred_username) ?? str(claims.email) ?? str(claims.name) ?? id;
    if (id && label) {
      return { id, label };
    }
  }
  // Not a JWT, or one without a subject: named after the issuer.
  const host = (() => { try { return new URL(issuer).host; } catch { return issuer; } })();
  return { id: `${issuer}#${crypto.createHash('sha256').update(token).digest('hex').slice(0, 12)}`, label: host };
}

export function toAccessToken(record: TokenRecord): AccessToken {
  return {
    token: record.accessToken,
    ...(record.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
    account: record.account,
    scopes: record.scope ? record.scope.split(' ') : []
  };
}
