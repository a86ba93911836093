/**
 * How Entra reads a v2 `scope` (plus an RFC 8707 `resource`) against the tenant's app
 * registrations, and refuses what real Entra refuses: AADSTS9010010, 28000, 500011, 90009,
 * 70011, 650053, 65001, 700016, 700025.
 */
import { fail } from './errors';
import { GRAPH_RESOURCE, OIDC_SCOPES, type EntraApp } from './config';

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Microsoft Graph as the emulator knows it: the resource of bare scopes, consentable by anyone. */
export const GRAPH_APP: EntraApp = {
  clientId: GRAPH_APP_ID,
  displayName: 'Microsoft Graph',
  appIdUri: GRAPH_RESOURCE,
  scopes: ['User.Read', 'email', 'profile', 'openid', 'offline_access'],
  preAuthorizedClientIds: ['*']
};

export interface Directory {
  tenantName: string;
  apps: EntraApp[];
  /** `${clientId} ${apiClientId}` pairs a user or admin consented to. */
  consents: Set<string>;
}

export interface ResolvedScopes {
  /** The API the token is for. */
  api: EntraApp;
  /** How the request named it (`api://<id>` or `<id>`), used to echo full scopes back. */
  resourceRef: string;
  /** Bare scope names that go into `scp`. */
  names: string[];
  /** OIDC scopes that were asked for. */
  oidc: string[];
  /** The `scope` of the token response: full resource scopes. */
  responseScope: string;
}

export function findClient(directory: Directory, clientId: string | undefined): EntraApp {
  if (!clientId) {
    return fail(900144, { parameter: 'client_id' });
  }
  const client = directory.apps.find((app) => app.clientId.toLowerCase() === clientId.toLowerCase());
  if (!client) {
    return fail(700016, { clientId, tenantName: directory.tenantName });
  }
  return client;
}

/** Public clients must not authenticate; confidential ones must, with their secret. */
export function checkClientAuth(client: EntraApp, secret: string | undefined, assertion: string | undefined): void {
  if (!client.clientSecret) {
    if (secret !== undefined || assertion !== undefined) {
      fail(700025);
    }
    return;
  }
  if (secret !== client.clientSecret) {
    fail(7000215);
  }
}

function findApi(directory: Directory, resource: string): EntraApp | undefined {
  const lower = resource.toLowerCase().replace(/\/+$/, '');
  return [...directory.apps, GRAPH_APP].find((app) => app.clientId.toLowerCase() === lower || app.appIdUri?.toLowerCase().replace(/\/+$/, '') === lower);
}

export function isConsented(directory: Directory, client: EntraApp, api: EntraApp): boolean {
  const pre = api.preAuthorizedClientIds ?? [];
  return api.clientId === client.clientId || pre.includes('*') || pre.includes(client.clientId) || directory.consents.has(`${client.clientId} ${api.clientId}`);
}

export interface ResolveOptions {
  /** The RFC 8707 `resource` parameter, if the request carried one. */
  resource?: string | undefined;
  /** Skip the consent check (the consent page is about to ask). */
  ignoreConsent?: boolean;
}

export function resolveScopes(directory: Directory, client: EntraApp, scopeParam: string | undefined, options: ResolveOptions = {}): ResolvedScopes {
  if (scopeParam === undefined || scopeParam.trim() === '') {
    return fail(900144, { parameter: 'scope' });
  }
  const all = scopeParam.split(/\s+/).filter(Boolean);
  const oidc = all.filter((s) => (OIDC_SCOPES as readonly string[]).includes(s));
  const named = all.filter((s) => !(OIDC_SCOPES as readonly string[]).includes(s));
  if (options.resource !== undefined && options.resource !== '') {
    // v2 scopes already name their resource; Entra accepts `resource` only when it is that same one.
    const refs = new Set(named.map((s) => splitScope(s).resource.toLowerCase()));
    if (refs.size !== 1 || !refs.has(options.resource.toLowerCase().replace(/\/+$/, ''))) {
      return fail(9010010);
    }
  }
  if (named.length === 0) {
    // Sign-in only: Entra hands out a Graph token for the OIDC scopes.
    return { api: GRAPH_APP, resourceRef: GRAPH_RESOURCE, names: ['User.Read', ...oidc.filter((s) => s !== 'offline_access')], oidc, responseScope: ['User.Read', ...oidc].join(' ') };
  }
  const parsed = named.map(splitScope);
  const resources = [...new Set(parsed.map((p) => p.resource.toLowerCase()))];
  if (resources.length > 1) {
    return fail(28000, { scope: all.join(' ') });
  }
  const resourceRef = parsed[0]!.resource;
  if (parsed.some((p) => !p.name)) {
    return fail(70011, { scope: all.join(' ') });
  }
  const api = findApi(directory, resourceRef);
  if (!api) {
    return fail(500011, { resource: resourceRef, tenantName: directory.tenantName });
  }
  const names = parsed.map((p) => p.name);
  if (names.includes('.default') && names.length > 1) {
    return fail(70011, { scope: all.join(' ') });
  }
  const byGuid = resourceRef.toLowerCase() === api.clientId.toLowerCase();
  if (api.clientId === client.clientId && !byGuid) {
    return fail(90009, { clientId: client.clientId, clientName: client.displayName });
  }
  const offered = api.scopes ?? [];
  const granted = names[0] === '.default' ? offered : names;
  for (const name of granted) {
    if (!offered.includes(name)) {
      return fail(650053, { clientName: client.displayName, scope: name, resource: api.clientId });
    }
  }
  if (!options.ignoreConsent && !isConsented(directory, client, api)) {
    return fail(65001, { clientId: client.clientId, clientName: client.displayName });
  }
  const prefix = api === GRAPH_APP ? `${GRAPH_RESOURCE}/` : `${resourceRef}/`;
  return { api, resourceRef, names: granted, oidc, responseScope: granted.map((n) => `${prefix}${n}`).join(' ') };
}

function splitScope(scope: string): { resource: string; name: string } {
  const slash = scope.lastIndexOf('/');
  if (slash < 0) {
    return { resource: GRAPH_RESOURCE, name: scope };
  }
  return { resource: scope.slice(0, slash), name: scope.slice(slash + 1) };
}

/** Redirect URI registered for the client? Loopback ones match on any port, as Entra does. */
export function redirectRegistered(client: EntraApp, redirectUri: string): boolean {
  let asked: URL;
  try {
    asked = new URL(redirectUri);
  } catch {
    return false;
  }
  return (client.redirectUris ?? []).some((registered) => {
    if (registered === redirectUri) {
      return true;
    }
    const reg = new URL(registered);
    const loopback = reg.protocol === 'http:' && (reg.hostname === 'localhost' || reg.hostname === '127.0.0.1');
    return loopback && asked.protocol === 'http:' && asked.hostname === reg.hostname && asked.pathname === reg.pathname && asked.search === '';
  });
}
