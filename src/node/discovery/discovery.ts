import { discoverAuthorizationServerMetadata, discoverOAuthProtectedResourceMetadata } from '@modelcontextprotocol/client';
import type { AuthorizationServerMetadata, OAuthProtectedResourceMetadata } from '@modelcontextprotocol/client';
import type { FetchLike } from '../auth/authFetch';
import type { BearerChallenge } from '../../common/auth/challenge';
import { mask, scoped, type Logger } from '../../common/log';
import { probeServer } from './probe';
import { BlockedUrlError } from './safeFetch';
import { checkIssuer, checkPkce, checkResource } from '../../common/discovery/checks';
import { entraAuthority, isFullScope, type DiscoveryResult, type Finding } from '../../common/discovery/result';

export interface DiscoverOptions {
  /** Must be the B5-safe fetch: discovery talks to URLs a server chose. */
  readonly fetch: FetchLike;
  readonly logger: Logger;
  /** The tenant the user configured, checked against the server's authorization server (B4). */
  readonly configuredTenant?: string;
}

/**
 * Probes an MCP server the way the MCP authorization spec describes: an unauthenticated
 * request, the `resource_metadata` from its 401 challenge (else the well-known URLs),
 * then the authorization server's metadata. Every check that fails becomes a finding;
 * nothing here throws for a misconfigured server.
 */
export async function discover(serverUrl: URL, options: DiscoverOptions): Promise<DiscoveryResult> {
  const log = scoped(options.logger, 'discovery');
  const findings: Finding[] = [];
  const base: { serverUrl: string; proposedScopes: string[]; findings: Finding[] } = { serverUrl: serverUrl.href, proposedScopes: [], findings };

  let probeStatus: number | undefined;
  let challenge: BearerChallenge | undefined;
  try {
    const answer = await probeServer(options.fetch, serverUrl);
    probeStatus = answer.status;
    challenge = answer.challenge;
  } catch (e) {
    findings.push(e instanceof BlockedUrlError
      ? { level: 'error', code: 'blocked-url', message: mask(e.message) }
      : { level: 'error', code: 'unreachable', message: `Cannot reach ${serverUrl.href}: ${messageOf(e)}`, fix: 'Check the URL and that the server is running, then try again.' });
    return base;
  }
  log.info(`probe: HTTP ${probeStatus}${challenge ? `, challenge ${JSON.stringify(challenge)}` : ''}`);
  if (probeStatus === 404) {
    // Nothing at this URL speaks MCP: no metadata to look for, and no setting that could help.
    findings.push({ level: 'error', code: 'not-mcp-endpoint', message: `${serverUrl.href} answered an MCP request with HTTP 404: it is not an MCP endpoint.`, fix: 'Check secureMcp.serverUrl: it is the MCP endpoint itself, often ending in /mcp.' });
    return { ...base, probeStatus };
  }
  if (probeStatus !== 401) {
    findings.push(probeStatus < 400
      ? { level: 'warning', code: 'no-auth-required', message: `The server answered an unauthenticated request with HTTP ${probeStatus}; it does not require sign-in.` }
      : { level: 'warning', code: 'unexpected-status', message: `The server answered an unauthenticated request with HTTP ${probeStatus} instead of 401.`, fix: 'Check the URL: it should be the MCP endpoint itself (often ending in /mcp).' });
  } else if (!challenge?.resourceMetadata) {
    findings.push({ level: 'info', code: 'no-resource-metadata-in-challenge', message: 'The 401 challenge does not name resource_metadata; trying the well-known URLs.' });
  }

  let resourceMetadata: OAuthProtectedResourceMetadata;
  try {
    resourceMetadata = await discoverOAuthProtectedResourceMetadata(serverUrl, challenge?.resourceMetadata ? { resourceMetadataUrl: new URL(challenge.resourceMetadata) } : {}, options.fetch);
  } catch (e) {
    findings.push(e instanceof BlockedUrlError
      ? { level: 'error', code: 'blocked-url', message: mask(e.message) }
      : { level: 'error', code: 'no-resource-metadata', message: `The server publishes no OAuth Protected Resource Metadata (RFC 9728): ${messageOf(e)}`, fix: 'Set secureMcp.auth.scopes (and secureMcp.auth.tenant for Entra) by hand, or ask the server owner to publish /.well-known/oauth-protected-resource.' });
    return { ...base, ...(probeStatus !== undefined ? { probeStatus } : {}), ...(challenge ? { challenge } : {}) };
  }

  const result = { ...base, probeStatus, ...(challenge ? { challenge } : {}), resourceMetadata };
  const resourceRefused = checkResource(serverUrl, resourceMetadata.resource);
  if (resourceRefused) {
    findings.push({ level: 'error', code: resourceRefused.refusal, message: resourceRefused.message, fix: 'Use the exact server URL the metadata names, or ask the server owner to fix "resource".' });
    return result;
  }
  const authorizationServer = resourceMetadata.authorization_servers?.[0];
  if (!authorizationServer) {
    findings.push({ level: 'error', code: 'no-authorization-server', message: 'The Protected Resource Metadata names no authorization server.' });
    return result;
  }
  const entra = entraAuthority(authorizationServer);
  const withAs = { ...result, authorizationServer, ...(entra ? { entra } : {}) };
  if (entra && options.configuredTenant && !['organizations', 'common', 'consumers'].includes(options.configuredTenant.toLowerCase())
    && entra.tenant.toLowerCase() !== options.configuredTenant.toLowerCase()) {
    findings.push({ level: 'error', code: 'tenant-mismatch', message: `The server trusts tenant ${entra.tenant}, but secureMcp.auth.tenant is ${options.configuredTenant}.`, fix: `Set secureMcp.auth.tenant to ${entra.tenant}.` });
  }

  let metadata: AuthorizationServerMetadata | undefined;
  try {
    // The issuer echo (B3) is checked below by checkIssuer, the one verdict Diagnose and sign-in share.
    metadata = await discoverAuthorizationServerMetadata(authorizationServer, { fetchFn: options.fetch, skipIssuerValidation: true });
  } catch (e) {
    findings.push({ level: 'error', code: 'as-metadata-failed', message: `Cannot read the authorization server's metadata at ${authorizationServer}: ${messageOf(e)}` });
    return withAs;
  }
  if (!metadata) {
    findings.push({ level: 'error', code: 'no-as-metadata', message: `${authorizationServer} publishes neither OAuth nor OpenID Connect metadata.` });
    return withAs;
  }
  const issuerRefused = checkIssuer(metadata.issuer, authorizationServer);
  if (issuerRefused) {
    findings.push({ level: 'error', code: issuerRefused.refusal, message: issuerRefused.message });
    return withAs;
  }
  // Entra is signed in to by VS Code's Microsoft provider, not by our OAuth client.
  const pkceRefused = entra ? undefined : checkPkce(metadata, authorizationServer);
  if (pkceRefused) {
    findings.push({ level: 'error', code: pkceRefused.refusal, message: pkceRefused.message });
  }

  const supported = resourceMetadata.scopes_supported ?? (challenge?.scope ? challenge.scope.split(/\s+/) : []);
  // Entra accepts only full scopes; other servers get what they list.
  const proposedScopes = entra ? supported.filter(isFullScope) : supported;
  if (entra && !proposedScopes.length && supported.length) {
    findings.push({ level: 'warning', code: 'bare-scope', message: `The server lists only ${supported.map(s => `"${s}"`).join(', ')}. Entra needs the full scope, for example "api://<server-app-id>/${supported[0]}".`, fix: "Enter the server API's Application ID URI scope (from its app registration, Expose an API)." });
  }
  findings.push({ level: 'info', code: 'discovered', message: `Authorization server ${authorizationServer}${entra ? ` (Entra tenant ${entra.tenant})` : ''}; scopes offered: ${supported.join(' ') || 'none listed'}.` });
  return { ...withAs, authorizationServerMetadata: metadata, proposedScopes };
}

/** An error's text for a finding: masked, since a server or proxy chose some of it. */
function messageOf(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return mask(cause instanceof Error ? `${e.message} (${cause.message})` : e.message);
  }
  return mask(String(e));
}
