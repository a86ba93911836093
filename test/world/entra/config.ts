/**
 * What the Entra emulator knows about its one tenant: app registrations (APIs and clients
 * alike, as in Entra), users, and token lifetimes. Defaults match the generic world's ids so
 * tests can switch identity worlds without new constants.
 */
import { DEFAULT_API_CLIENT_ID, DEFAULT_EXTENSION_CLIENT_ID, DEFAULT_TENANT_ID } from '../idp';

/** VS Code's own public client, the default of the built-in `microsoft` provider. */
export const VSCODE_CLIENT_ID = 'aebc6443-996d-45c2-90f0-388ff96faa56';
export const VSCODE_REDIRECT = 'https://vscode.dev/redirect';
export const LOGIN_HOST = 'login.microsoftonline.com';
export const LOGIN_ORIGIN = `https://${LOGIN_HOST}`;
export const VSCODE_DEV_HOST = 'vscode.dev';
/** Device codes are entered at https://microsoft.com/devicelogin (the `verification_uri`). */
export const MICROSOFT_HOST = 'microsoft.com';
/** The only resource the emulator knows without registration: a token for it is never issued. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** An app registration. Every app can be a client; an app with `scopes` is also an API. */
export interface EntraApp {
  clientId: string;
  displayName: string;
  /** Application ID URI, e.g. `api://<clientId>`. Scopes may name the app by it or by `clientId`. */
  appIdUri?: string;
  /** Delegated scopes the app exposes, bare (`mcp:tools`). */
  scopes?: string[];
  /** App roles given to confidential clients in app-only tokens (client credentials). */
  appRoles?: string[];
  /** Clients pre-authorized for every scope of this API (no consent needed). */
  preAuthorizedClientIds?: string[];
  /** Registered redirect URIs; `http://localhost` / `http://127.0.0.1` match any port. */
  redirectUris?: string[];
  /** Set for a confidential client (client credentials); public clients have none. */
  clientSecret?: string;
}

export interface EntraUser {
  oid: string;
  name: string;
  preferredUsername: string;
}

export interface EntraEmulatorOptions {
  tenantId?: string;
  /** Shown in AADSTS500011 ("... not found in the tenant named <name>"). */
  tenantName?: string;
  /** Domain names that address the tenant in URLs besides its id (`/contoso.example/...`). */
  tenantDomains?: string[];
  /** Default: the world API (pre-authorizing VS Code's client and the extension's), VS Code's client, the extension's. */
  apps?: EntraApp[];
  /** Who is signed in at `/authorize` and for device codes. Default alice and bob (alice signed in). */
  users?: EntraUser[];
  /** Access-token (and `expires_in`) lifetime. Default 3600. */
  accessTokenLifetimeSeconds?: number;
  /** id_token lifetime. Default the access-token lifetime (VS Code refreshes when this is under 5 min away). */
  idTokenLifetimeSeconds?: number;
  /** Refresh-token inactivity lifetime; past it the grant fails with AADSTS700082. Default 90 days. */
  refreshTokenLifetimeSeconds?: number;
  /** Polling interval handed out with device codes. Default 5 (MSAL honours it). */
  deviceCodeIntervalSeconds?: number;
  /** Device code lifetime. Default 900. */
  deviceCodeLifetimeSeconds?: number;
  /**
   * What `/authorize` does for a client that needs consent it does not have: `error` (default)
   * redirects back with AADSTS65001; `page` shows a consent page whose Accept button grants it.
   */
  consentPrompt?: 'error' | 'page';
  /**
   * The vscode.dev/redirect stand-in: `faithful` (default) forwards `state` as it came;
   * `repairing` undoes code-server's mangling of the callback URL (see authorize.ts).
   */
  redirectStandIn?: 'faithful' | 'repairing';
}

export const DEFAULT_USERS: readonly EntraUser[] = [
  { oid: '11111111-aaaa-4aaa-8aaa-111111111111', name: 'Alice Demo', preferredUsername: 'alice@contoso.example' },
  { oid: '22222222-bbbb-4bbb-8bbb-222222222222', name: 'Bob Demo', preferredUsername: 'bob@contoso.example' }
];

const LOOPBACK_REDIRECTS = ['http://localhost', 'http://127.0.0.1'];

export function defaultApps(apiClientId = DEFAULT_API_CLIENT_ID): EntraApp[] {
  return [
    {
      clientId: apiClientId,
      displayName: 'Secure MCP world API',
      appIdUri: `api://${apiClientId}`,
      scopes: ['mcp:tools', 'mcp:tools.admin'],
      appRoles: ['Tools.ReadWrite.All'],
      preAuthorizedClientIds: [VSCODE_CLIENT_ID, DEFAULT_EXTENSION_CLIENT_ID],
      redirectUris: [...LOOPBACK_REDIRECTS]
    },
    { clientId: VSCODE_CLIENT_ID, displayName: 'Visual Studio Code', redirectUris: [VSCODE_REDIRECT, ...LOOPBACK_REDIRECTS] },
    { clientId: DEFAULT_EXTENSION_CLIENT_ID, displayName: 'Secure MCP extension', redirectUris: [VSCODE_REDIRECT, ...LOOPBACK_REDIRECTS] }
  ];
}

/** Options with every default filled in. */
export interface EntraConfig {
  tenantId: string;
  tenantName: string;
  tenantDomains: string[];
  apps: EntraApp[];
  users: EntraUser[];
  accessTokenLifetimeSeconds: number;
  idTokenLifetimeSeconds: number;
  refreshTokenLifetimeSeconds: number;
  deviceCodeIntervalSeconds: number;
  deviceCodeLifetimeSeconds: number;
  consentPrompt: 'error' | 'page';
  redirectStandIn: 'faithful' | 'repairing';
}

export function resolveConfig(options: EntraEmulatorOptions): EntraConfig {
  const access = options.accessTokenLifetimeSeconds ?? 3600;
  const users = [...(options.users ?? DEFAULT_USERS)];
  if (users.length === 0) {
    throw new Error('the Entra emulator needs at least one user');
  }
  const positive = (name: string, value: number) => {
    if (!(Number.isInteger(value) && value > 0)) {
      throw new Error(`${name} must be a positive whole number of seconds`);
    }
    return value;
  };
  return {
    tenantId: options.tenantId ?? DEFAULT_TENANT_ID,
    tenantName: options.tenantName ?? 'Contoso',
    tenantDomains: options.tenantDomains ?? ['contoso.example'],
    apps: options.apps ?? defaultApps(),
    users,
    accessTokenLifetimeSeconds: positive('accessTokenLifetimeSeconds', access),
    idTokenLifetimeSeconds: positive('idTokenLifetimeSeconds', options.idTokenLifetimeSeconds ?? access),
    refreshTokenLifetimeSeconds: positive('refreshTokenLifetimeSeconds', options.refreshTokenLifetimeSeconds ?? 90 * 24 * 3600),
    deviceCodeIntervalSeconds: positive('deviceCodeIntervalSeconds', options.deviceCodeIntervalSeconds ?? 5),
    deviceCodeLifetimeSeconds: positive('deviceCodeLifetimeSeconds', options.deviceCodeLifetimeSeconds ?? 900),
    consentPrompt: options.consentPrompt ?? 'error',
    redirectStandIn: options.redirectStandIn ?? 'faithful'
  };
}
