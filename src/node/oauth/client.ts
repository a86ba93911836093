import type { BearerChallenge } from '../../common/auth/challenge';
import type { AccessToken, TokenRequest, TokenSource } from '../../common/auth/tokenSource';
import { scoped } from '../../common/log';
import { OAuthStore, type TokenRecord } from '../../common/oauth/store';
import { createSafeFetch } from '../discovery/safeFetch';
import { discoverServer, probeChallenge, type VerifiedDiscovery } from './discovery';
import { createEndpointFetch } from './endpointFetch';
import { findGrant, refreshGrant, toAccessToken } from './grants';
import type { OAuthClientOptions, OAuthContext } from './options';
import { signInInteractively, type SignInOptions } from './signIn';

/**
 * The generic OAuth 2.1 client of the MCP authorization spec, built on the SDK's
 * `auth()`. This class adds what `auth()` leaves to the caller: the checks of
 * docs/security.md (PKCE S256 advertised, PRM `resource` and AS `issuer` matching, safe
 * metadata fetches, the authorization URL scheme, `state` and `iss` on the response),
 * the loopback redirect, and storage keyed by issuer and (server, issuer, scopes).
 */
export class OAuthClient {
  private readonly ctx: OAuthContext;
  private readonly discoveries = new Map<string, Promise<VerifiedDiscovery>>();

  constructor(options: OAuthClientOptions) {
    this.ctx = {
      options,
      store: new OAuthStore(options.secrets),
      log: scoped(options.logger, 'oauth'),
      safeFetch: createSafeFetch({ ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.lookup ? { lookup: options.lookup } : {}) }),
      endpointFetch: createEndpointFetch(options.fetch ?? ((input, init) => fetch(input, init))),
      now: options.now ?? Date.now
    };
  }

  /**
   * Discovers and checks the server's authorization setup. Throws `OAuthRefusedError`
   * (or `BlockedUrlError`) for a server Secure MCP must not sign in to.
   */
  discover(serverUrl: URL, challenge?: BearerChallenge): Promise<VerifiedDiscovery> {
    return discoverServer(this.ctx, serverUrl, challenge);
  }

  /** Interactive sign-in: opens the browser, waits for the loopback redirect, redeems the code. */
  async signIn(serverUrl: URL, options: SignInOptions = {}): Promise<TokenRecord> {
    const challenge = options.challenge ?? (await probeChallenge(this.ctx, serverUrl, options.signal));
    const discovery = await this.discover(serverUrl, challenge);
    this.discoveries.set(serverUrl.href, Promise.resolve(discovery));
    return signInInteractively(this.ctx, serverUrl, discovery, challenge, options);
  }

  /**
   * A current token for the server without any UI: the stored one, or a refreshed one.
   * `scopes` must all be covered by the grant; undefined when none fits or refresh fails.
   * `signal` stops a refresh the caller no longer waits for.
   */
  async getToken(serverUrl: URL, scopes: readonly string[] = [], rejected?: string, signal?: AbortSignal): Promise<TokenRecord | undefined> {
    const found = await findGrant(this.ctx, serverUrl, scopes, rejected);
    if (!found) {
      return undefined;
    }
    return found.usable ? found.record : this.refresh(serverUrl, found.record, signal);
  }

  /** Refreshes one grant through `auth()`; undefined when the user has to sign in again. */
  async refresh(serverUrl: URL, record: TokenRecord, signal?: AbortSignal): Promise<TokenRecord | undefined> {
    if (!record.refreshToken) {
      return undefined;
    }
    return refreshGrant(this.ctx, serverUrl, record, await this.discovery(serverUrl), signal);
  }

  /** Stored grants, for listing sessions. */
  listGrants(): Promise<TokenRecord[]> {
    return this.ctx.store.listTokens();
  }

  /**
   * Sign-out: forgets the grant, its access and refresh tokens. The client registration
   * stays (it is keyed by the issuer, A9, and holds no user secret), so the next sign-in
   * at the same authorization server registers nothing and is not asked to consent again.
   */
  async signOut(record: Pick<TokenRecord, 'server' | 'issuer' | 'scope'>): Promise<void> {
    await this.ctx.store.deleteToken(record.server, record.issuer, record.scope);
  }

  /** Forgets everything stored for an authorization server: its registration and its grants. */
  async forgetIssuer(issuer: string): Promise<void> {
    const store = this.ctx.store;
    for (const r of await store.listTokens()) {
      if (r.issuer === issuer) {
        await store.deleteToken(r.server, r.issuer, r.scope);
      }
    }
    await store.deleteClient(issuer);
  }

  /**
   * A `TokenSource` for one server. Silent by default, as the interface requires; the
   * conformance harness passes `interactive: true` so a missing token signs in (headless).
   */
  tokenSource(serverUrl: URL, options: { interactive?: boolean; challenge?: () => BearerChallenge | undefined } = {}): TokenSource {
    return {
      getToken: async (request: TokenRequest): Promise<AccessToken | undefined> => {
        let record = await this.getToken(serverUrl, request.scopes, request.rejected, request.signal);
        if (record && record.accessToken === request.rejected) {
          record = undefined;
        }
        if (!record && options.interactive) {
          const challenge = options.challenge?.();
          record = await this.signIn(serverUrl, { scopes: request.scopes, ...(challenge ? { challenge } : {}), ...(request.signal ? { signal: request.signal } : {}) });
        }
        return record ? toAccessToken(record) : undefined;
      }
    };
  }

  private discovery(serverUrl: URL): Promise<VerifiedDiscovery> {
    let d = this.discoveries.get(serverUrl.href);
    if (!d) {
      d = this.discover(serverUrl);
      d.catch(() => this.discoveries.delete(serverUrl.href));
      this.discoveries.set(serverUrl.href, d);
    }
    return d;
  }
}
