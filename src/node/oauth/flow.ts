/**
 * One authorization flow as the MCP SDK's `auth()` sees it: the `OAuthClientProvider`
 * that `OAuthClient` hands the SDK for a sign-in or a refresh.
 */
import * as crypto from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/client';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/client';
import { AuthRequiredError, DeclinedByUserError, ProtocolError } from '../../common/errors';
import type { VerifiedDiscovery } from './discovery';
import { OAuthRefusedError } from '../../common/oauth/errors';
import type { AuthorizationResponse } from './loopback';
import type { TokenRecord } from '../../common/oauth/store';
import { checkAuthorizationUrl, sameIssuer } from '../../common/oauth/urls';
import type { OAuthContext } from './options';

/** What a flow needs of its client: where grants and registrations live, its options, its log. */
export type FlowContext = Pick<OAuthContext, 'store' | 'options' | 'log'>;

export interface FlowMode {
  readonly mode: 'interactive' | 'refresh';
  readonly redirectUrl?: string;
  readonly signal?: AbortSignal;
  readonly record?: TokenRecord;
}

/**
 * The SDK's view of one flow. It hands `auth()` the verified discovery (so the SDK never
 * discovers on its own), the client identity in order of preference, and a fresh `state`
 * bound to this flow; it refuses to open an unsafe URL, and in refresh mode it refuses
 * to start any interaction at all.
 */
export class FlowProvider implements OAuthClientProvider {
  savedTokens: OAuthTokens | undefined;
  /** Set when the authorization server refused the client during this flow; its registration is gone. */
  clientRefused = false;
  private verifier: string | undefined;
  private expectedState: string | undefined;
  private stateUsed = false;
  private refreshToken: string | undefined;
  private authorizationUrl: URL | undefined;

  constructor(private readonly ctx: FlowContext, private readonly discovery: VerifiedDiscovery, private readonly flow: FlowMode) {
    this.refreshToken = flow.record?.refreshToken;
  }

  /** The RFC 8707 resource `auth()` sends: the PRM `resource` verbatim, identical in all three requests (A7). */
  get resource(): string | undefined {
    return this.discovery.resourceMetadata?.resource;
  }

  get redirectUrl(): string {
    // Refresh never redirects, but `auth()` treats a missing redirect URL as a client-credentials client.
    return this.flow.redirectUrl ?? 'http://127.0.0.1/callback';
  }

  get clientMetadataUrl(): string | undefined {
    return this.ctx.options.clientMetadataUrl || undefined;
  }

  get clientMetadata(): OAuthClientMetadata {
    const metadata = {
      client_name: this.ctx.options.clientName ?? 'Secure MCP for VS Code',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      // RFC 8252: a native app on a loopback redirect (oidc-provider needs this to allow any port).
      application_type: 'native'
    };
    return metadata;
  }

  state(): string {
    this.expectedState = crypto.randomBytes(32).toString('base64url');
    this.stateUsed = false;
    return this.expectedState;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const pre = this.ctx.options.preRegisteredClient;
    if (pre?.clientId) {
      return { client_id: pre.clientId, ...(pre.clientSecret ? { client_secret: pre.clientSecret } : {}), issuer: this.discovery.issuer };
    }
    const stored = await this.ctx.store.getClient(this.discovery.issuer);
    if (!stored && this.flow.mode === 'refresh') {
      // Without it `auth()` would register a client here, for a flow that can only fail:
      // registering is left to the next sign-in, which has a real redirect URI.
      throw new AuthRequiredError('Signing in again is needed; the client registration was refused or is missing.');
    }
    return stored;
  }

  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    if (this.ctx.options.preRegisteredClient?.clientId) {
      return;
    }
    await this.ctx.store.saveClient(this.discovery.issuer, info);
  }

  tokens(): OAuthTokens | undefined {
    // Interactive mode always authorizes anew (step-up cannot be had by refreshing).
    if (this.flow.mode !== 'refresh' || !this.flow.record || !this.refreshToken) {
      return undefined;
    }
    return { access_token: this.flow.record.accessToken, token_type: 'Bearer', refresh_token: this.refreshToken, issuer: this.discovery.issuer };
  }

  saveTokens(tokens: OAuthTokens): void {
    this.savedTokens = tokens;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    if (this.flow.mode !== 'interactive') {
      throw new AuthRequiredError('Signing in again is needed; the stored grant could not be refreshed.');
    }
    const safe = checkAuthorizationUrl(url);
    if (safe.searchParams.get('state') !== this.expectedState) {
      throw new ProtocolError('The authorization request lost its state parameter.');
    }
    this.authorizationUrl = safe;
    const signal = this.flow.signal ?? new AbortController().signal;
    await this.ctx.options.openBrowser(safe, signal);
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.verifier) {
      throw new ProtocolError('No PKCE verifier for this flow.');
    }
    return this.verifier;
  }

  discoveryState(): OAuthDiscoveryState {
    return {
      authorizationServerUrl: this.discovery.issuer,
      authorizationServerMetadata: this.discovery.metadata,
      ...(this.discovery.resourceMetadata ? { resourceMetadata: this.discovery.resourceMetadata } : {}),
      ...(this.discovery.resourceMetadataUrl ? { resourceMetadataUrl: this.discovery.resourceMetadataUrl } : {})
    };
  }

  saveDiscoveryState(): void {
    // The verified discovery is authoritative; nothing the SDK re-derives replaces it.
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'all' || scope === 'client') {
      // `auth()` calls this when the AS answers invalid_client or unauthorized_client.
      this.clientRefused = true;
      if (!this.ctx.options.preRegisteredClient?.clientId) {
        await this.ctx.store.deleteClient(this.discovery.issuer);
      }
    }
    if (scope === 'all' || scope === 'tokens') {
      this.refreshToken = undefined;
    }
  }

  /**
   * A5, A6: the response must carry exactly this flow's `state`, once, and the issuer
   * the AS metadata names when it sends `iss` (required when it advertises RFC 9207).
   * Only then is the code redeemed.
   */
  checkResponse(response: AuthorizationResponse): void {
    const expected = this.expectedState;
    const used = this.stateUsed;
    this.stateUsed = true;
    this.expectedState = undefined;
    if (!this.authorizationUrl || !expected || used || response.state === undefined || !timingSafeEqual(response.state, expected)) {
      throw new OAuthRefusedError('state-mismatch', 'The sign-in response does not belong to this sign-in (state mismatch); it was ignored. Try signing in again.');
    }
    const metadata = this.discovery.metadata;
    // Both metadata schemas are loose objects, so the RFC 9207 flag survives parsing untyped.
    const issAdvertised = (metadata as { authorization_response_iss_parameter_supported?: unknown }).authorization_response_iss_parameter_supported === true;
    if (issAdvertised || response.iss !== undefined) {
      if (response.iss === undefined || !sameIssuer(response.iss, metadata.issuer)) {
        throw new OAuthRefusedError('iss-mismatch', `The sign-in response came from ${response.iss === undefined ? 'an unnamed issuer' : 'another issuer'}, not ${metadata.issuer} (RFC 9207); it was ignored.`);
      }
    }
    if (response.error !== undefined) {
      if (response.error === 'access_denied') {
        throw new DeclinedByUserError('Sign-in was declined at the authorization server.');
      }
      throw new OAuthRefusedError('callback-error', `The authorization server refused the sign-in (${sanitize(response.error)}).`);
    }
    if (!response.code) {
      throw new OAuthRefusedError('callback-error', 'The sign-in response carries no authorization code.');
    }
  }
}

function timingSafeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** An error code from the redirect is untrusted: only the RFC 6749 character set is shown. */
function sanitize(code: string): string {
  return code.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '').slice(0, 64);
}
