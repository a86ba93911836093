import type { SettingProblem } from './errors';
import { PROTOCOL_SETTINGS, type ProtocolSetting } from './protocol';
import {
  ABSOLUTE_PATH, API_VERSION, bool, checkSecureUrl, CLIENT_ID, DEPLOYMENT, GUID, int, list, oneOf, PROVIDER_ID, scope, str, TENANT, url, valueReader,
  type SettingReader, type ValueReader
} from './settingChecks';

export { checkSecureUrl, isLoopbackHost, isSecureTransport, type SettingReader } from './settingChecks';

export type LlmProvider = 'auto' | 'vscode' | 'openai' | 'azureOpenAI';
export type AzureAuth = 'entra' | 'apiKey';

export interface AuthSettings {
  readonly providerId: string;
  readonly scopes: readonly string[];
  readonly tenant: string;
  readonly clientId: string;
  readonly clientMetadataUrl: string;
  /** Built-in OAuth provider: use the 2025-03-26 default endpoints of a server without metadata. */
  readonly allowLegacyEndpoints: boolean;
}

/**
 * One MCP server: an entry of `secureMcp.servers`, or the server of the single-server
 * settings (`secureMcp.serverUrl` with `secureMcp.auth.*` and `secureMcp.protocol.version`).
 */
export interface ServerSettings {
  /** Unique among the servers: the key of its connection, the namespace of its tools, `/call <name>/<tool>`. */
  readonly name: string;
  readonly url: string;
  readonly auth: AuthSettings;
  readonly protocol: ProtocolSetting;
  /** Where it is configured: `secureMcp.servers[i]`, or `secureMcp` for the single-server settings. */
  readonly source: string;
}

/** Every `secureMcp.*` setting, typed. package.json declares the same keys and defaults. */
export interface Settings {
  /** The single-server settings' server; '' when only `servers` (or nothing) is configured. */
  readonly serverUrl: string;
  /**
   * Every configured server, in order: the single-server settings' server first (when set
   * and not also an entry), then `secureMcp.servers`. Entries that cannot be used are left
   * out and reported as problems.
   */
  readonly servers: readonly ServerSettings[];
  /** The single-server settings' sign-in. */
  readonly auth: AuthSettings;
  readonly llm: {
    readonly provider: LlmProvider;
    readonly openai: { readonly model: string; readonly baseUrl: string };
    readonly azure: {
      readonly endpoint: string;
      readonly deployment: string;
      readonly apiVersion: string;
      readonly auth: AzureAuth;
      /** Where the keyless (Entra) token comes from: `microsoft`, or `microsoft-sovereign-cloud`. */
      readonly authProviderId: string;
    };
  };
  readonly approval: {
    readonly timeoutSeconds: number;
    readonly rememberAcrossSessions: boolean;
    readonly trustedServers: readonly string[];
    readonly allowReadOnlyFromTrustedServers: boolean;
  };
  /** Where the audit trail is written: a folder, or '' for the extension's own storage. */
  readonly audit: { readonly folder: string };
  /** Which MCP revision to speak to the server. */
  readonly protocol: { readonly version: ProtocolSetting };
  readonly timeouts: { readonly connectSeconds: number; readonly toolCallSeconds: number; readonly toolCallMaxSeconds: number };
  readonly chat: { readonly maxToolRounds: number };
  readonly limits: { readonly maxResultBytes: number; readonly maxResultCharsForModel: number; readonly maxTools: number; readonly maxListBytes: number };
}

export const DEFAULT_SETTINGS: Settings = {
  serverUrl: '',
  servers: [],
  auth: { providerId: 'microsoft', scopes: [], tenant: '', clientId: '', clientMetadataUrl: '', allowLegacyEndpoints: false },
  llm: {
    provider: 'auto',
    openai: { model: 'gpt-4.1', baseUrl: '' },
    azure: { endpoint: '', deployment: '', apiVersion: '2024-10-21', auth: 'entra', authProviderId: 'microsoft' }
  },
  approval: { timeoutSeconds: 300, rememberAcrossSessions: false, trustedServers: [], allowReadOnlyFromTrustedServers: false },
  audit: { folder: '' },
  protocol: { version: 'auto' },
  timeouts: { connectSeconds: 30, toolCallSeconds: 60, toolCallMaxSeconds: 600 },
  chat: { maxToolRounds: 8 },
  limits: { maxResultBytes: 1_048_576, maxResultCharsForModel: 20_000, maxTools: 10_000, maxListBytes: 16_777_216 }
};

export interface ReadSettingsResult {
  readonly settings: Settings;
  /** Values that were rejected (the default is used instead) or combinations that cannot work. */
  readonly problems: readonly SettingProblem[];
}

/** A server's name: a tool namespace and the `<server>` of `/call <server>/<tool>`. */
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

function readAuth(value: ValueReader): AuthSettings {
  const d = DEFAULT_SETTINGS.auth;
  return {
    providerId: value('auth.providerId', d.providerId, str(PROVIDER_ID, false, 'must be an authentication provider id')),
    scopes: value('auth.scopes', d.scopes, list(scope)),
    tenant: value('auth.tenant', d.tenant, str(TENANT, true, 'must be a tenant id (GUID), a domain, or organizations / common / consumers')),
    clientId: value('auth.clientId', d.clientId, str(CLIENT_ID, true, 'must be a client id without spaces')),
    clientMetadataUrl: value('auth.clientMetadataUrl', d.clientMetadataUrl, (v: unknown) => typeof v !== 'string' ? 'must be a string' : v === '' ? undefined : /^https:\/\/[^/\s]+\/\S+$/.test(v) ? undefined : 'must be an https URL with a path'),
    allowLegacyEndpoints: value('auth.allowLegacyEndpoints', d.allowLegacyEndpoints, bool)
  };
}

/**
 * The name the single-server settings' server goes by (and a new entry's suggested name):
 * its host name, made a valid server name. `127.0.0.1` → `127_0_0_1`.
 */
export function defaultServerName(serverUrl: string): string {
  const host = URL.parse(serverUrl)?.hostname ?? '';
  return host.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 20) || 'mcp';
}

/** The same server for the comparisons of settings: case of the host, a default port, a trailing slash. */
export function sameServerUrl(a: string, b: string): boolean {
  const key = (u: string) => {
    const url = URL.parse(u);
    return url ? `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}${url.search}` : u;
  };
  return key(a) === key(b);
}

/**
 * The entries of `secureMcp.servers`. An entry without a usable name or URL, or with the
 * name or URL of one before it, is left out; a wrong value inside a usable entry is
 * reported against that server only, which then does not connect.
 */
function readServers(raw: unknown, first: readonly ServerSettings[], problems: SettingProblem[]): ServerSettings[] {
  const servers = [...first];
  if (raw === undefined || raw === null) {
    return servers;
  }
  if (!Array.isArray(raw)) {
    problems.push({ key: 'secureMcp.servers', message: 'must be a list of servers' });
    return servers;
  }
  raw.forEach((entry: unknown, i) => {
    const source = `secureMcp.servers[${i}]`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push({ key: source, message: 'must be an object with "name" and "url"' });
      return;
    }
    const e = entry as Record<string, unknown>;
    const urlWhy = typeof e.url !== 'string' || !e.url ? 'must be set to the MCP endpoint' : checkSecureUrl(e.url);
    if (urlWhy) {
      problems.push({ key: `${source}.url`, message: urlWhy });
      return;
    }
    const serverUrl = e.url as string;
    const name = e.name === undefined ? defaultServerName(serverUrl) : e.name;
    if (typeof name !== 'string' || !SERVER_NAME.test(name)) {
      problems.push({ key: `${source}.name`, message: 'must be 1 to 32 letters, digits, "-" or "_", starting with a letter or digit' });
      return;
    }
    const clash = servers.find(s => s.name.toLowerCase() === name.toLowerCase() || sameServerUrl(s.url, serverUrl));
    if (clash) {
      // The single-server settings' server, entered again by a migration, is the same server: no problem.
      if (!(clash.source === 'secureMcp' && sameServerUrl(clash.url, serverUrl))) {
        problems.push({ key: source, message: clash.name.toLowerCase() === name.toLowerCase() ? `has the name "${name}" of ${clash.source}; each server needs its own name` : `has the URL of ${clash.source} (${clash.name})` });
        return;
      }
      servers.splice(servers.indexOf(clash), 1);
    }
    const value = valueReader(key => pathValue(e, key), source, problems, name);
    const auth = readAuth(value);
    const protocol = value('protocol', DEFAULT_SETTINGS.protocol.version, oneOf(PROTOCOL_SETTINGS)) as ProtocolSetting;
    servers.push({ name, url: serverUrl, auth, protocol, source });
  });
  return servers;
}

/** `a.b` of a nested object. */
function pathValue(o: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((v, k) => v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined, o);
}

/**
 * Builds typed settings from raw values, keeping the default for each value that is
 * missing, of the wrong type or invalid, and reporting why.
 */
export function readSettings(read: SettingReader): ReadSettingsResult {
  const problems: SettingProblem[] = [];
  const d = DEFAULT_SETTINGS;
  const value = valueReader(read, 'secureMcp', problems);

  const serverUrl = value('serverUrl', d.serverUrl, url);
  const auth = readAuth(value);
  const protocolVersion = value('protocol.version', d.protocol.version, oneOf(PROTOCOL_SETTINGS)) as ProtocolSetting;
  const single: ServerSettings[] = serverUrl ? [{ name: defaultServerName(serverUrl), url: serverUrl, auth, protocol: protocolVersion, source: 'secureMcp' }] : [];
  const settings: Settings = {
    serverUrl,
    servers: readServers(read('servers'), single, problems),
    auth,
    llm: {
      provider: value('llm.provider', d.llm.provider, oneOf(['auto', 'vscode', 'openai', 'azureOpenAI'])),
      openai: {
        model: value('llm.openai.model', d.llm.openai.model, str(/^\S+$/, false, 'must be a model name without spaces')),
        baseUrl: value('llm.openai.baseUrl', d.llm.openai.baseUrl, url)
      },
      azure: {
        endpoint: value('llm.azure.endpoint', d.llm.azure.endpoint, url),
        deployment: value('llm.azure.deployment', d.llm.azure.deployment, str(DEPLOYMENT, true, 'must be a deployment name')),
        apiVersion: value('llm.azure.apiVersion', d.llm.azure.apiVersion, str(API_VERSION, false, 'must look like 2024-10-21')),
        auth: value('llm.azure.auth', d.llm.azure.auth, oneOf(['entra', 'apiKey'])),
        authProviderId: value('llm.azure.authProviderId', d.llm.azure.authProviderId, str(PROVIDER_ID, false, 'must be an authentication provider id'))
      }
    },
    approval: {
      timeoutSeconds: value('approval.timeoutSeconds', d.approval.timeoutSeconds, int(10, 3600)),
      rememberAcrossSessions: value('approval.rememberAcrossSessions', d.approval.rememberAcrossSessions, bool),
      trustedServers: value('approval.trustedServers', d.approval.trustedServers, list(url)),
      allowReadOnlyFromTrustedServers: value('approval.allowReadOnlyFromTrustedServers', d.approval.allowReadOnlyFromTrustedServers, bool)
    },
    audit: { folder: value('audit.folder', d.audit.folder, str(ABSOLUTE_PATH, true, 'must be an absolute folder path')) },
    protocol: { version: protocolVersion },
    timeouts: {
      connectSeconds: value('timeouts.connectSeconds', d.timeouts.connectSeconds, int(1, 300)),
      toolCallSeconds: value('timeouts.toolCallSeconds', d.timeouts.toolCallSeconds, int(1, 3600)),
      toolCallMaxSeconds: value('timeouts.toolCallMaxSeconds', d.timeouts.toolCallMaxSeconds, int(1, 86400))
    },
    chat: { maxToolRounds: value('chat.maxToolRounds', d.chat.maxToolRounds, int(1, 50)) },
    limits: {
      maxResultBytes: value('limits.maxResultBytes', d.limits.maxResultBytes, int(1024, 67_108_864)),
      maxResultCharsForModel: value('limits.maxResultCharsForModel', d.limits.maxResultCharsForModel, int(500, 1_000_000)),
      maxTools: value('limits.maxTools', d.limits.maxTools, int(1, 100_000)),
      maxListBytes: value('limits.maxListBytes', d.limits.maxListBytes, int(65_536, 268_435_456))
    }
  };

  problems.push(...crossChecks(settings));
  return { settings, problems };
}

function crossChecks(s: Settings): SettingProblem[] {
  const problems: SettingProblem[] = [...authChecks(s.auth, 'secureMcp.auth')];
  for (const server of s.servers) {
    if (server.source !== 'secureMcp') {
      problems.push(...authChecks(server.auth, `${server.source}.auth`).map(p => ({ ...p, server: server.name })));
    }
  }
  problems.push(...sharedTokenChecks(s.servers));
  if (s.timeouts.toolCallMaxSeconds < s.timeouts.toolCallSeconds) {
    problems.push({ key: 'secureMcp.timeouts.toolCallMaxSeconds', message: 'is shorter than secureMcp.timeouts.toolCallSeconds, so the hard limit applies first' });
  }
  if (s.llm.provider === 'azureOpenAI' && (!s.llm.azure.endpoint || !s.llm.azure.deployment)) {
    problems.push({ key: 'secureMcp.llm.provider', message: 'is azureOpenAI, but secureMcp.llm.azure.endpoint and secureMcp.llm.azure.deployment are not both set' });
  }
  return problems;
}

function authChecks(auth: AuthSettings, prefix: string): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const scopes = auth.scopes;
  if (scopes.some(x => x.endsWith('/.default')) && scopes.some(x => !x.endsWith('/.default'))) {
    problems.push({ key: `${prefix}.scopes`, message: 'mixes ".default" with named scopes; Entra refuses that combination, request one or the other' });
  }
  if (isEntraProvider(auth.providerId) && scopes.some(x => x === 'mcp:tools')) {
    problems.push({ key: `${prefix}.scopes`, message: 'contains the bare "mcp:tools"; Entra needs the full scope, for example "api://<server-app-id>/mcp:tools"' });
  }
  if (isEntraProvider(auth.providerId) && auth.clientId && !GUID.test(auth.clientId)) {
    problems.push({ key: `${prefix}.clientId`, message: 'must be a GUID (an Entra application id) for the Microsoft provider' });
  }
  return problems;
}

/**
 * Tokens never cross servers (docs/security.md A3). A provider keys its sessions by the
 * scopes asked for, so two servers asking one provider (other than Secure MCP's own,
 * which keys them by server too) for the same scopes would be handed one token: the
 * later server is refused until it asks for its own API's scope.
 */
function sharedTokenChecks(servers: readonly ServerSettings[]): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const seen = new Map<string, ServerSettings>();
  for (const server of servers) {
    if (server.auth.providerId === OWN_OAUTH_PROVIDER_ID) {
      continue;
    }
    const key = JSON.stringify(sessionScopes({ ...DEFAULT_SETTINGS, serverUrl: server.url, auth: server.auth }).sort()) + server.auth.providerId;
    const other = seen.get(key);
    if (other && server.auth.scopes.length) {
      problems.push({
        key: `${server.source === 'secureMcp' ? 'secureMcp' : server.source}.auth.scopes`,
        message: `asks ${server.auth.providerId} for the same scopes as server "${other.name}", so both would get one token; give each server the scope of its own API (tokens never cross servers)`,
        server: server.name
      });
    } else {
      seen.set(key, server);
    }
  }
  return problems;
}

/** Secure MCP's own OAuth provider for spec-compliant servers; its sessions are keyed by server. */
export const OWN_OAUTH_PROVIDER_ID = 'secure-mcp-oauth';
/**
 * A scope of this form names the MCP server to sign in to, the way `VSCODE_TENANT:` steers
 * the Microsoft provider. Only Secure MCP's own provider reads it; it is never sent to a server.
 */
export const SERVER_SCOPE_PREFIX = 'SECURE_MCP_SERVER:';

export function isEntraProvider(providerId: string): boolean {
  return providerId === 'microsoft' || providerId === 'microsoft-sovereign-cloud';
}

/**
 * The keyless Azure OpenAI scope for an endpoint's cloud: Azure Government (`….azure.us`)
 * and Azure China (`….azure.cn`) have their own Cognitive Services audience.
 */
export function azureOpenAiScope(endpoint: string): string {
  const host = URL.parse(endpoint)?.hostname ?? '';
  const cloud = /\.azure\.(us|cn)$/.exec(host)?.[1];
  return `https://cognitiveservices.azure.${cloud ?? 'com'}/.default`;
}

/** A grant's space-separated scope includes every wanted scope. */
export function grantCovers(granted: string, wanted: readonly string[]): boolean {
  const have = new Set(granted.split(' ').filter(Boolean));
  return wanted.every(s => have.has(s));
}

/** The API a scope names: `api://<id>/` of `api://<id>/mcp:tools`; empty for a bare scope. */
export function scopeApi(scope: string): string {
  return scope.slice(0, scope.lastIndexOf('/') + 1);
}

/**
 * No scope is configured, and the provider needs one: Entra needs the API's full scope,
 * while an OAuth provider picks one itself (the server's challenge, then its
 * scopes_supported, else none), as the MCP spec lays out.
 */
export function missingRequiredScopes(s: Settings): boolean {
  return !s.auth.scopes.length && isEntraProvider(s.auth.providerId);
}

/**
 * The scopes to ask the authentication provider for: the configured (or discovered)
 * resource scopes plus VS Code's Microsoft-provider hints when set. Nothing else, so
 * silent refresh keeps asking for the same list (docs/entra.md#silent-refresh).
 */
export function sessionScopes(s: Settings, discovered: readonly string[] = []): string[] {
  const scopes = [...(s.auth.scopes.length ? s.auth.scopes : discovered)];
  if (s.auth.providerId === OWN_OAUTH_PROVIDER_ID && s.serverUrl) {
    scopes.push(`${SERVER_SCOPE_PREFIX}${s.serverUrl}`);
  }
  if (isEntraProvider(s.auth.providerId)) {
    if (s.auth.tenant) {
      scopes.push(`VSCODE_TENANT:${s.auth.tenant}`);
    }
    if (s.auth.clientId) {
      scopes.push(`VSCODE_CLIENT_ID:${s.auth.clientId}`);
    }
  }
  return scopes;
}
