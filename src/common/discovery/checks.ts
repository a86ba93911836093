import { checkResourceAllowed } from '@modelcontextprotocol/client';
import { sameIssuer } from '../oauth/urls';

/**
 * The checks that decide whether a server's published authorization setup may be used.
 * Configure and Diagnose (`node/discovery/discovery.ts`) and sign-in
 * (`node/oauth/discovery.ts`) both take their verdicts from here, so they cannot
 * disagree about the same server.
 */
export type DiscoveryRefusal = 'resource-mismatch' | 'issuer-mismatch' | 'no-pkce';

export interface DiscoveryVerdict {
  readonly refusal: DiscoveryRefusal;
  readonly message: string;
}

/**
 * B2: Protected Resource Metadata speaks for the server only when the server URL is its
 * `resource` or lies below it (same origin, path prefix at a segment boundary), the
 * MCP SDK's rule.
 */
export function checkResource(serverUrl: URL, resource: string): DiscoveryVerdict | undefined {
  let allowed: boolean;
  try {
    allowed = checkResourceAllowed({ requestedResource: serverUrl, configuredResource: resource });
  } catch {
    allowed = false;
  }
  return allowed ? undefined : {
    refusal: 'resource-mismatch',
    message: `The Protected Resource Metadata is for ${resource}, not for ${serverUrl.href}; it cannot speak for this server.`
  };
}

/** B3: the metadata must name, exactly, the issuer its URL was built from (RFC 8414 section 3.3). */
export function checkIssuer(metadataIssuer: string, expected: string): DiscoveryVerdict | undefined {
  return sameIssuer(metadataIssuer, expected) ? undefined : {
    refusal: 'issuer-mismatch',
    message: `The authorization server metadata names issuer ${metadataIssuer}, not ${expected}; refusing it.`
  };
}

/** A4: Secure MCP's own OAuth client signs in only where PKCE with S256 is advertised. */
export function checkPkce(metadata: { readonly code_challenge_methods_supported?: readonly string[] }, issuer: string): DiscoveryVerdict | undefined {
  return (metadata.code_challenge_methods_supported ?? []).includes('S256') ? undefined : {
    refusal: 'no-pkce',
    message: `${issuer} does not advertise PKCE with S256; Secure MCP will not sign in to it.`
  };
}
