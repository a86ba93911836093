import * as crypto from 'node:crypto';
import {
  auth,
  discoverAuthorizationServerMetadata,
  registerClient,
  discoverOAuthProtectedResourceMetadata,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { checkResourceAllowed } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import { InvalidClientMetadataError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type {
  AuthorizationServerMetadata,
  OAuthProtectedResourceMetadata,
  OAuthTokens
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '../auth/authFetch';
import { bearerChallenge, type BearerChallenge } from '../../common/auth/challenge';
import { decodeClaims } from '../../common/auth/claims';
import type { AccessToken, TokenRequest, TokenSource } from '../../common/auth/tokenSource';
import { BlockedUrlError, createSafeFetch, type Lookup } from '../discovery/safeFetch';
import { AuthRequiredError, ProtocolError } from '../../common/errors';
import { scoped, type Logger } from '../../common/log';
import { grantCovers, isSecureTransport } from '../../common/settings';
import { OAuthRefusedError, refuseInvalidMetadata } from '../../common/oauth/errors';
import { startLoopbackListener } from './loopback';
import { FlowProvider } from './flow';
import { normalizeScope, OAuthStore, type SecretStore, type TokenRecord } from '../../common/oauth/store';
import { checkAuthorizationUrl, sameIssuer } from '../../common/oauth/urls';

/** Opens the authorization URL for the user: `vscode.env.openExternal` in the product. */
export type BrowserOpener = (url: URL, signal: AbortSignal) => Promise<void>;

export interface PreRegisteredClient {
  readonly clientId: string;
  /** Only for confidential clients (tests, the conformance harness); the product uses public clients. */
  readonly clientSecret?: string;
}

export interface OAuthClientOptions {
  readonly secrets: SecretStore;
  readonly logger: Logger;
  readonly openBrowser: BrowserOpener;
  /** Base fetch under the B5-safe fetch; every OAuth request goes through the safe one. */
  readonly fetch?: FetchLike;
  /** For tests: how host names resolve for the B5 private-address check. */
  readonly lookup?: Lookup;
  /** First choice of client identity (setting `secureMcp.auth.clientId`). */
  readonly preRegisteredClient?: PreRegisteredClient;
  /** Second choice, used when the AS advertises `client_id_metadata_document_supported`. */
  readonly clientMetadataUrl?: string;
  readonly clientName?: string;
  /** Time the user has in the browser. Default 5 minutes. */
  readonly authorizationTimeoutMs?: number;
  /** Ask for `offline_access` when the AS lists it, so a refresh token is issued. Default true. */
  readonly requestOfflineAccess?: boolean;
  /**
   * A 2025-03-26 server with no metadata at all (no PRM, no authorization server
   * metadata): use `/authorize`, `/token` and `/register` on its origin, as that spec
   * allowed, still with PKCE S256. Off by default: nothing advertises S256 there, and
   * docs/security.md A4 refuses such a server unless the user opts in for it.
   */
  readonly legacyEndpointFallback?: boolean;
  readonly now?: () => number;
}

/** Discovery results that passed every check (B1–B3, A4); only these are ever used. */
export interface VerifiedDiscovery {
  readonly serverUrl: string;
  readonly resourceMetadata?: OAuthProtectedResourceMetadata;
  readonly resourceMetadataUrl?: string;
  /** The authorization server URL; also the key for registrations and tokens (A9). */
  readonly issuer: string;
  readonly metadata: AuthorizationServerMetadata;
  /** No Protected Resource Metadata: the 2025-03-26 layout, AS on the server's origin. */
  readonly legacy: boolean;
}

export interface SignInOptions {
  /** Scopes to ask for; empty or absent means challenge → `scopes_supported` → omit (B7). */
  readonly scopes?: readonly string[];
  /** A 401/403 challenge the caller already has; otherwise the server is probed once. */
  readonly challenge?: BearerChallenge;
  readonly signal?: AbortSignal;
}

const TOKEN_EARLY_MS = 60_000;

/**
 * The generic OAuth 2.1 client of the MCP authorization spec, built on the SDK's
 * `auth()`. This class adds what `auth()` leaves to the caller: the checks of
 * docs/security.md (PKCE S256 advertised, PRM `resource` and AS `issuer` matching, safe
 * metadata fetches, the authorization URL scheme, `state` and `iss` on the response),
 * the loopback redirect, and storage keyed by issuer and (server, issuer, scopes).
 */
export class OAuthClient {
  private readonly log: Logger;
  private readonly safeFetch: FetchLike;
  /** For `auth()`: discovery is done and verified, so it only talks to token and registration endpoints. */
  private readonly endpointFetch: FetchLike;
  private readonly store: OAuthStore;
  private readonly discoveries = new Map<string, Promise<VerifiedDiscovery>>();
  private readonly now: () => number;

  constructor(private readonly options: OAuthClientOptions) {
    this.log = scoped(options.logger, 'oauth');
    this.safeFetch = createSafeFetch({ ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.lookup ? { lookup: options.lookup } : {}) });
    this.endpointFetch = createEndpointFetch(options.fetch ?? ((input, init) => fetch(input, init)));
    this.store = new OAuthStore(options.secrets);
    this.now = options.now ?? Date.now;
  }

  /**
   * Discovers and checks the server's authorization setup. Throws `OAuthRefusedError`
   * (or `BlockedUrlError`) for a server Secure MCP must not sign in to.
   */
  async discover(serverUrl: URL, challenge?: BearerChallenge): Promise<VerifiedDiscovery> {
    const server = serverUrl.href;
    let resourceMetadata: OAuthProtectedResourceMetadata | undefined;
    // B1: the challenge's resource_metadata first; the SDK then tries path-inserted, then root.
    const resourceMetadataUrl = challenge?.resourceMetadata;
    try {
      resourceMetadata = await discoverOAuthProtectedResourceMetadata(serverUrl, resourceMetadataUrl ? { resourceMetadataUrl } : {}, this.safeFetch)
        .catch((e: unknown) => { throw refuseInvalidMetadata(e, `The Protected Resource Metadata of ${server}`); });
    } catch (e) {
      if (e instanceof BlockedUrlError || e instanceof ProtocolError || resourceMetadataUrl) {
        throw e;
      }
      // No PRM at all: a 2025-03-26 server whose own origin is the authorization server.
      this.log.info(`${server} publishes no Protected Resource Metadata; trying its origin as the authorization server`);
    }

    let issuer: string;
    if (resourceMetadata) {
      // B2: metadata for another resource cannot speak for this server.
      if (!checkResourceAllowed({ requestedResource: serverUrl, configuredResource: resourceMetadata.resource })) {
        throw new OAuthRefusedError('resource-mismatch', `The Protected Resource Metadata is for ${resourceMetadata.resource}, not for ${server}; refusing to sign in.`);
      }
      const first = resourceMetadata.authorization_servers?.[0];
      if (!first) {
        throw new OAuthRefusedError('no-authorization-server', `The Protected Resource Metadata of ${server} names no authorization server.`);
      }
      issuer = first;
    } else {
      issuer = serverUrl.origin;
    }

    const found = await discoverAuthorizationServerMetadata(issuer, { fetchFn: this.safeFetch })
      .catch((e: unknown) => { throw refuseInvalidMetadata(e, `The authorization server metadata of ${issuer}`); });
    let metadata: AuthorizationServerMetadata;
    if (found) {
      metadata = found;
    } else if (!resourceMetadata && this.options.legacyEndpointFallback) {
      // The user opted in for this server generation; PKCE S256 is still sent, so a server
      // that ignores it is the only risk taken, and the log says so.
      this.log.warn(`${issuer} publishes no metadata; using the 2025-03-26 default endpoints (secureMcp.auth.allowLegacyEndpoints)`);
      metadata = {
        issuer,
        authorization_endpoint: new URL('/authorize', issuer).href,
        token_endpoint: new URL('/token', issuer).href,
        registration_endpoint: new URL('/register', issuer).href,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256']
      };
    } else {
      // Without metadata nothing says PKCE S256 is supported (A4), so no guessed endpoints unless the user opted in.
      throw new OAuthRefusedError('no-metadata', `${issuer} publishes neither OAuth nor OpenID Connect metadata, so it cannot show it supports PKCE (S256); refusing to sign in. For an older (2025-03-26) server you trust, set secureMcp.auth.allowLegacyEndpoints.`);
    }
    // B3: the document must name the issuer it was fetched for. In the legacy layout the AS
    // was never named by anyone, so it only has to live on the server's origin.
    const issuerOk = resourceMetadata ? sameIssuer(metadata.issuer, issuer) : sameOrigin(metadata.issuer, serverUrl.origin);
    if (!issuerOk) {
      throw new OAuthRefusedError('issuer-mismatch', `The authorization server metadata names issuer ${metadata.issuer}, not ${issuer}; refusing it.`);
    }
    if (!(metadata.code_challenge_methods_supported ?? []).includes('S256')) {
      throw new OAuthRefusedError('no-pkce', `${issuer} does not advertise PKCE with S256; Secure MCP will not sign in to it.`);
    }
    checkAuthorizationUrl(metadata.authorization_endpoint);
    return {
      serverUrl: server,
      ...(resourceMetadata ? { resourceMetadata } : {}),
      ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}),
      issuer: resourceMetadata ? issuer : metadata.issuer,
      metadata,
      legacy: !resourceMetadata
    };
  }

  /** Interactive sign-in: opens the browser, waits for the loopback redirect, redeems the code. */
  async signIn(serverUrl: URL, options: SignInOptions = {}): Promise<TokenRecord> {
    const challenge = options.challenge ?? (await this.probe(serverUrl, options.signal));
    const discovery = await this.discover(serverUrl, challenge);
    this.discoveries.set(serverUrl.href, Promise.resolve(discovery));
    const requested = options.scopes?.length ? options.scopes.join(' ') : undefined;
    const scope = this.selectScope(discovery, requested, challenge);

    const controller = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
    const listener = await startLoopbackListener({ timeoutMs: this.options.authorizationTimeoutMs ?? 300_000, signal });
    try {
      const flow = new FlowProvider({ store: this.store, options: this.options, log: this.log }, discovery, { mode: 'interactive', redirectUrl: listener.redirectUrl, signal });
      await this.ensureRegistered(flow, discovery, scope);
      this.log.info(`signing in to ${serverUrl.href} at ${discovery.issuer}${scope ? ` for scope "${scope}"` : ''}`);
      await auth(flow, { serverUrl, ...(scope ? { scope } : {}), fetchFn: this.endpointFetch });
      const response = await listener.response;
      flow.checkResponse(response);
      await auth(flow, { serverUrl, ...(scope ? { scope } : {}), authorizationCode: response.code as string, fetchFn: this.endpointFetch });
      const tokens = flow.savedTokens;
      if (!tokens) {
        throw new ProtocolError('The authorization server returned no tokens.');
      }
      const record = this.toRecord(discovery, normalizeScope(scope), tokens, flow.resource);
      await this.store.saveToken(record);
      this.log.info(`signed in to ${serverUrl.href} as ${record.account.label}`);
      return record;
    } finally {
      controller.abort();
      await listener.close();
    }
  }

  /**
   * A current token for the server without any UI: the stored one, or a refreshed one.
   * `scopes` must all be covered by the grant; undefined when none fits or refresh fails.
   */
  async getToken(serverUrl: URL, scopes: readonly string[] = [], rejected?: string): Promise<TokenRecord | undefined> {
    const candidates = (await this.store.listTokens())
      .filter(r => r.server === serverUrl.href && grantCovers(r.scope, scopes))
      .sort((a, b) => b.createdAt - a.createdAt);
    const record = candidates[0];
    if (!record) {
      return undefined;
    }
    if (record.accessToken !== rejected && (record.expiresAt === undefined || record.expiresAt - this.now() > TOKEN_EARLY_MS)) {
      return record;
    }
    return this.refresh(serverUrl, record);
  }

  /** Refreshes one grant through `auth()`; undefined when the user has to sign in again. */
  async refresh(serverUrl: URL, record: TokenRecord): Promise<TokenRecord | undefined> {
    if (!record.refreshToken) {
      return undefined;
    }
    const discovery = await this.discovery(serverUrl);
    if (discovery.issuer !== record.issuer) {
      // The server moved to another authorization server; its refresh token must not follow (A9).
      this.log.warn(`${serverUrl.href} now uses ${discovery.issuer}, not ${record.issuer}; sign in again`);
      return undefined;
    }
    const flow = new FlowProvider({ store: this.store, options: this.options, log: this.log }, discovery, { mode: 'refresh', record });
    try {
      await auth(flow, { serverUrl, ...(record.scope ? { scope: record.scope } : {}), fetchFn: this.endpointFetch });
    } catch (e) {
      if (e instanceof AuthRequiredError) {
        await this.store.deleteToken(record.server, record.issuer, record.scope);
        this.log.info(`refresh for ${serverUrl.href} not possible; sign-in needed`);
        return undefined;
      }
      throw e;
    }
    const tokens = flow.savedTokens;
    if (!tokens) {
      return undefined;
    }
    const next = this.toRecord(discovery, record.scope, tokens, flow.resource, record);
    await this.store.saveToken(next);
    this.log.info(`refreshed the token for ${serverUrl.href}`);
    return next;
  }

  /** Stored grants, for listing sessions. */
  listGrants(): Promise<TokenRecord[]> {
    return this.store.listTokens();
  }

  /** Forgets a grant and its refresh token. */
  async forget(record: Pick<TokenRecord, 'server' | 'issuer' | 'scope'>): Promise<void> {
    await this.store.deleteToken(record.server, record.issuer, record.scope);
  }

  /** Forgets everything stored for an authorization server: its registration and its grants. */
  async forgetIssuer(issuer: string): Promise<void> {
    for (const r of await this.store.listTokens()) {
      if (r.issuer === issuer) {
        await this.store.deleteToken(r.server, r.issuer, r.scope);
      }
    }
    await this.store.deleteClient(issuer);
  }

  /**
   * A `TokenSource` for one server. Silent by default, as the interface requires; the
   * conformance harness passes `interactive: true` so a missing token signs in (headless).
   */
  tokenSource(serverUrl: URL, options: { interactive?: boolean; challenge?: () => BearerChallenge | undefined } = {}): TokenSource {
    return {
      getToken: async (request: TokenRequest): Promise<AccessToken | undefined> => {
        let record = await this.getToken(serverUrl, request.scopes, request.rejected);
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

  /**
   * Dynamic registration (the last choice of client identity) done before `auth()`, so a
   * server that refuses the resource scope in a registration (oidc-provider does: it is not
   * one of its own scopes) gets a second request without `scope`, which RFC 7591 allows.
   */
  private async ensureRegistered(flow: FlowProvider, discovery: VerifiedDiscovery, scope: string | undefined): Promise<void> {
    if (await flow.clientInformation()) {
      return;
    }
    if (discovery.metadata.client_id_metadata_document_supported === true && flow.clientMetadataUrl) {
      return;
    }
    if (!discovery.metadata.registration_endpoint) {
      throw new ProtocolError(`${discovery.issuer} does not support dynamic client registration; set a pre-registered client id (secureMcp.auth.clientId).`);
    }
    const register = (s: string | undefined) => registerClient(discovery.issuer, { metadata: discovery.metadata, clientMetadata: flow.clientMetadata, ...(s ? { scope: s } : {}), fetchFn: this.endpointFetch });
    let info;
    try {
      info = await register(scope);
    } catch (e) {
      if (!(e instanceof InvalidClientMetadataError) || !scope) {
        throw e;
      }
      this.log.info(`${discovery.issuer} refused the scope in the registration; registering without it`);
      info = await register(undefined);
    }
    await flow.saveClientInformation({ ...info, issuer: discovery.issuer });
    this.log.info(`registered with ${discovery.issuer} as client ${info.client_id}`);
  }

  /** B7: challenge scope → PRM `scopes_supported` → omit; plus `offline_access` when the AS offers it. */
  private selectScope(discovery: VerifiedDiscovery, requested: string | undefined, challenge: BearerChallenge | undefined): string | undefined {
    let scope = requested || challenge?.scope || discovery.resourceMetadata?.scopes_supported?.join(' ') || undefined;
    if (scope && (this.options.requestOfflineAccess ?? true)
      && discovery.metadata.scopes_supported?.includes('offline_access') && !scope.split(' ').includes('offline_access')) {
      scope = `${scope} offline_access`;
    }
    return scope;
  }

  /** One unauthenticated initialize, only to read the 401 challenge (resource_metadata, scope). */
  private async probe(serverUrl: URL, signal: AbortSignal | undefined): Promise<BearerChallenge | undefined> {
    try {
      const response = await this.safeFetch(serverUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'secure-mcp-probe', version: '0' } } }),
        ...(signal ? { signal } : {})
      });
      return response.status === 401 || response.status === 403 ? bearerChallenge(response.headers.get('www-authenticate')) : undefined;
    } catch (e) {
      if (e instanceof BlockedUrlError) {
        throw e;
      }
      this.log.debug(`probe of ${serverUrl.href} failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  private toRecord(discovery: VerifiedDiscovery, scope: string, tokens: OAuthTokens, resource: string | undefined, previous?: TokenRecord): TokenRecord {
    const account = previous?.account ?? accountOf(tokens.access_token, discovery.issuer);
    return {
      server: discovery.serverUrl,
      issuer: discovery.issuer,
      scope,
      ...(resource ? { resource } : {}),
      accessToken: tokens.access_token,
      ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
      ...(tokens.expires_in !== undefined ? { expiresAt: this.now() + tokens.expires_in * 1000 } : {}),
      ...(tokens.scope ? { grantedScope: tokens.scope } : {}),
      account,
      createdAt: previous?.createdAt ?? this.now()
    };
  }
}

/**
 * Token and registration requests carry client credentials (Basic auth), which the
 * metadata fetch strips, so they get their own: https or loopback http only (like the
 * endpoints' metadata), no redirects (a credential must not follow one), a time limit.
 */
function createEndpointFetch(base: FetchLike): FetchLike {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    if (!isSecureTransport(url)) {
      throw new OAuthRefusedError('unsafe-url', `Refusing to send credentials to ${url.protocol}//${url.host}: only https (or http to this computer).`);
    }
    const timeout = AbortSignal.timeout(30_000);
    const response = await base(url, { ...init, redirect: 'manual', signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new ProtocolError(`${url.origin} answered a token request with a redirect; not followed.`);
    }
    return response;
  };
}

function sameOrigin(a: string, origin: string): boolean {
  try {
    return new URL(a).origin === origin;
  } catch {
    return false;
  }
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
