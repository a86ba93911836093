import type { AuthorizationServerMetadata, OAuthProtectedResourceMetadata } from '@modelcontextprotocol/client';
import type { BearerChallenge } from '../auth/challenge';

export type FindingLevel = 'error' | 'warning' | 'info';

/** One thing discovery or diagnosis learned, with the fix when there is one. */
export interface Finding {
  readonly level: FindingLevel;
  readonly code: string;
  readonly message: string;
  readonly fix?: string;
}

export interface EntraAuthority {
  readonly host: string;
  readonly tenant: string;
  readonly version: 'v1' | 'v2';
}

export interface DiscoveryResult {
  readonly serverUrl: string;
  readonly probeStatus?: number;
  readonly challenge?: BearerChallenge;
  readonly resourceMetadata?: OAuthProtectedResourceMetadata;
  readonly authorizationServer?: string;
  readonly authorizationServerMetadata?: AuthorizationServerMetadata;
  readonly entra?: EntraAuthority;
  /** Scopes to request, when discovery can tell; empty when the user must say. */
  readonly proposedScopes: readonly string[];
  readonly findings: readonly Finding[];
}

const ENTRA_HOSTS = new Set([
  'login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn', 'login.windows.net', 'sts.windows.net'
]);

/** The Entra tenant and token version an authorization server URL names, if it is Entra. */
export function entraAuthority(url: string): EntraAuthority | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (!ENTRA_HOSTS.has(u.hostname.toLowerCase())) {
    return undefined;
  }
  const [tenant, version] = u.pathname.split('/').filter(Boolean);
  if (!tenant) {
    return undefined;
  }
  return { host: u.hostname.toLowerCase(), tenant, version: version === 'v2.0' ? 'v2' : 'v1' };
}

/** Whether a scope is a full Entra scope (`api://…/x`, `https://…/x` or `<guid>/x`) rather than a bare one. */
export const isFullScope = (scope: string) => scope.includes('/');
