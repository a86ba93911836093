/**
 * Finding a server's authorization server and checking what it publishes before any of
 * it is used (docs/security.md B1–B3, A4).
 */
import { discoverAuthorizationServerMetadata, discoverOAuthProtectedResourceMetadata } from '@modelcontextprotocol/client';
import type { AuthorizationServerMetadata, OAuthProtectedResourceMetadata } from '@modelcontextprotocol/client';
import type { BearerChallenge } from '../../common/auth/challenge';
import { ProtocolError } from '../../common/errors';
import { OAuthRefusedError, refuseInvalidMetadata } from '../../common/oauth/errors';
import { checkIssuer, checkPkce, checkResource, type DiscoveryVerdict } from '../../common/discovery/checks';
import { checkAuthorizationUrl } from '../../common/oauth/urls';
import { probeServer } from '../discovery/probe';
import { BlockedUrlError } from '../discovery/safeFetch';
import type { OAuthContext } from './options';

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

type DiscoveryContext = Pick<OAuthContext, 'options' | 'log' | 'safeFetch'>;

/**
 * Discovers and checks the server's authorization setup. Throws `OAuthRefusedError`
 * (or `BlockedUrlError`) for a server Secure MCP must not sign in to.
 */
export async function discoverServer(ctx: DiscoveryContext, serverUrl: URL, challenge?: BearerChallenge): Promise<VerifiedDiscovery> {
  const server = serverUrl.href;
  let resourceMetadata: OAuthProtectedResourceMetadata | undefined;
  // B1: the challenge's resource_metadata first; the SDK then tries path-inserted, then root.
  const resourceMetadataUrl = challenge?.resourceMetadata;
  try {
    resourceMetadata = await discoverOAuthProtectedResourceMetadata(serverUrl, resourceMetadataUrl ? { resourceMetadataUrl } : {}, ctx.safeFetch)
      .catch((e: unknown) => { throw refuseInvalidMetadata(e, `The Protected Resource Metadata of ${server}`); });
  } catch (e) {
    if (e instanceof BlockedUrlError || e instanceof ProtocolError || resourceMetadataUrl) {
      throw e;
    }
    // No PRM at all: a 2025-03-26 server whose own origin is the authorization server, or
    // no MCP server at this URL. A 404 to an MCP request says which, before any setting is
    // suggested that would not help and weakens sign-in.
    await refuseIfNotMcp(ctx, serverUrl);
    ctx.log.info(`${server} publishes no Protected Resource Metadata; trying its origin as the authorization server`);
  }

  let issuer: string;
  if (resourceMetadata) {
    refuse(checkResource(serverUrl, resourceMetadata.resource));
    const first = resourceMetadata.authorization_servers?.[0];
    if (!first) {
      throw new OAuthRefusedError('no-authorization-server', `The Protected Resource Metadata of ${server} names no authorization server.`);
    }
    issuer = first;
  } else {
    issuer = serverUrl.origin;
  }

  // The issuer echo (B3) is checked below by checkIssuer, the one verdict Diagnose and sign-in share.
  const found = await discoverAuthorizationServerMetadata(issuer, { fetchFn: ctx.safeFetch, skipIssuerValidation: true })
    .catch((e: unknown) => { throw refuseInvalidMetadata(e, `The authorization server metadata of ${issuer}`); });
  let metadata: AuthorizationServerMetadata;
  if (found) {
    metadata = found;
  } else if (!resourceMetadata && ctx.options.legacyEndpointFallback) {
    // The user opted in for this server generation; PKCE S256 is still sent, so a server
    // that ignores it is the only risk taken, and the log says so.
    ctx.log.warn(`${issuer} publishes no metadata; using the 2025-03-26 default endpoints (secureMcp.auth.allowLegacyEndpoints)`);
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
  if (resourceMetadata) {
    refuse(checkIssuer(metadata.issuer, issuer));
  } else if (!sameOrigin(metadata.issuer, serverUrl.origin)) {
    throw new OAuthRefusedError('issuer-mismatch', `The authorization server metadata names issuer ${metadata.issuer}, which is not on ${serverUrl.origin}; refusing it.`);
  }
  refuse(checkPkce(metadata, issuer));
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

/** One unauthenticated initialize, only to read the 401 challenge (resource_metadata, scope). */
export async function probeChallenge(ctx: Pick<OAuthContext, 'log' | 'safeFetch'>, serverUrl: URL, signal: AbortSignal | undefined): Promise<BearerChallenge | undefined> {
  try {
    const { status, challenge } = await probeServer(ctx.safeFetch, serverUrl, signal);
    return status === 401 || status === 403 ? challenge : undefined;
  } catch (e) {
    if (e instanceof BlockedUrlError) {
      throw e;
    }
    ctx.log.debug(`probe of ${serverUrl.href} failed: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

async function refuseIfNotMcp(ctx: Pick<OAuthContext, 'log' | 'safeFetch'>, serverUrl: URL): Promise<void> {
  const status = await probeServer(ctx.safeFetch, serverUrl).then(r => r.status, () => undefined);
  if (status === 404) {
    throw new OAuthRefusedError('not-mcp-endpoint', `${serverUrl.href} answered an MCP request with HTTP 404: it is not an MCP endpoint. Check secureMcp.serverUrl; it is the endpoint itself, often ending in /mcp.`);
  }
}

function refuse(verdict: DiscoveryVerdict | undefined): void {
  if (verdict) {
    throw new OAuthRefusedError(verdict.refusal, verdict.message);
  }
}

function sameOrigin(a: string, origin: string): boolean {
  try {
    return new URL(a).origin === origin;
  } catch {
    return false;
  }
}
