import type { SettingProblem } from './errors';
import { PROTOCOL_SETTINGS, type ProtocolSetting } from './protocol';

export type LlmProvider = 'auto' | 'vscode' | 'openai' | 'azureOpenAI';
export type AzureAuth = 'entra' | 'apiKey';

/** Every `secureMcp.*` setting, typed. package.json declares the same keys and defaults. */
export interface Settings {
  readonly serverUrl: string;
  readonly auth: {
    readonly providerId: string;
    readonly scopes: readonly string[];
    readonly tenant: string;
    readonly clientId: string;
    readonly clientMetadataUrl: string;
    /** Built-in OAuth provider: use the 2025-03-26 default endpoints of a server without metadata. */
    readonly allowLegacyEndpoints: boolean;
  };
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
  /** Which MCP revision to speak to the server. */
  readonly protocol: { readonly version: ProtocolSetting };
  readonly timeouts: { readonly connectSeconds: number; readonly toolCallSeconds: number; readonly toolCallMaxSeconds: number };
  readonly chat: { readonly maxToolRounds: number };
  readonly limits: { readonly maxResultBytes: number; readonly maxResultCharsForModel: number; readonly maxTools: number; readonly maxListBytes: number };
}

export const DEFAULT_SETTINGS: Settings = {
  serverUrl: '',
  auth: { providerId: 'microsoft', scopes: [], tenant: '', clientId: '', clientMetadataUrl: '', allowLegacyEndpoints: false },
  llm: {
    provider: 'auto',
    openai: { model: 'gpt-4.1', baseUrl: '' },
    azure: { endpoint: '', deployment: '', apiVersion: '2024-10-21', auth: 'entra', authProviderId: 'microsoft' }
  },
  approval: { timeoutSeconds: 300, rememberAcrossSessions: false, trustedServers: [], allowReadOnlyFromTrustedServers: false },
  protocol: { version: 'auto' },
  timeouts: { connectSeconds: 30, toolCallSeconds: 60, toolCallMaxSeconds: 600 },
  chat: { maxToolRounds: 8 },
  limits: { maxResultBytes: 1_048_576, maxResultCharsForModel: 20_000, maxTools: 10_000, maxListBytes: 16_777_216 }
};

/** Reads one dotted key below `secureMcp.`; undefined means "not set". */
export type SettingReader = (key: string) => unknown;

export interface ReadSettingsResult {
  readonly settings: Settings;
  /** Values that were rejected (the default is used instead) or combinations that cannot work. */
  readonly problems: readonly SettingProblem[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT = /^(organizations|common|consumers|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/i;
const CLIENT_ID = /^[\x21-\x7E]{1,255}$/;
const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
const DEPLOYMENT = /^[A-Za-z0-9._-]+$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Loopback by name or address; IPv6 with or without the URL brackets. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * The one transport rule for anything that may carry a credential or metadata:
 * `https:`, or `http:` to this computer.
 */
export function isSecureTransport(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * Why a URL may not carry credentials, or undefined when it may: `https:`, or `http:`
 * to a loopback host, without user info or fragment.
 */
export function checkSecureUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL';
  }
  if (url.username || url.password) {
    return 'must not contain a user name or password';
  }
  if (url.hash) {
    return 'must not contain a fragment (#…)';
  }
  if (isSecureTransport(url)) {
    return undefined;
  }
  return url.protocol === 'http:' ? 'must use https:// (http:// is allowed only for localhost, 127.0.0.1 or [::1])' : `must use https:// (not ${url.protocol})`;
}

/**
 * Builds typed settings from raw values, keeping the default for each value that is
 * missing, of the wrong type or invalid, and reporting why.
 */
export function readSettings(read: SettingReader): ReadSettingsResult {
  const problems: SettingProblem[] = [];
  const d = DEFAULT_SETTINGS;

  function value<T>(key: string, fallback: T, check: (v: unknown) => string | undefined): T {
    const raw = read(key);
    if (raw === undefined || raw === null) {
      return fallback;
    }
    const why = check(raw);
    if (why) {
      problems.push({ key: `secureMcp.${key}`, message: why });
      return fallback;
    }
    return raw as T;
  }
  const str = (pattern?: RegExp, allowEmpty = true, explain = 'has an invalid format') => (v: unknown) => {
    if (typeof v !== 'string') {
      return 'must be a string';
    }
    if (v === '' && allowEmpty) {
      return undefined;
    }
    return pattern && !pattern.test(v) ? explain : undefined;
  };
  const url = (v: unknown) => typeof v !== 'string' ? 'must be a string' : v === '' ? undefined : checkSecureUrl(v);
  const int = (min: number, max: number) => (v: unknown) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `must be a whole number from ${min} to ${max}`;
  const bool = (v: unknown) => typeof v === 'boolean' ? undefined : 'must be true or false';
  const oneOf = (values: readonly string[]) => (v: unknown) =>
    typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.join(', ')}`;
  const list = (item: (v: unknown) => string | undefined) => (v: unknown) => {
    if (!Array.isArray(v)) {
      return 'must be a list';
    }
    for (const entry of v) {
      const why = item(entry);
      if (why) {
        return `entry ${JSON.stringify(entry)} ${why}`;
      }
    }
    return undefined;
  };
  const scope = (v: unknown) => typeof v === 'string' && /^\S+$/.test(v) ? undefined : 'must be a scope without spaces';

  const settings: Settings = {
    serverUrl: value('serverUrl', d.serverUrl, url),
    auth: {
      providerId: value('auth.providerId', d.auth.providerId, str(PROVIDER_ID, false, 'must be an authentication provider id')),
      scopes: value('auth.scopes', d.auth.scopes, list(scope)),
      tenant: value('auth.tenant', d.auth.tenant, str(TENANT, true, 'must be a tenant id (GUID), a domain, or organizations / common / consumers')),
      clientId: value('auth.clientId', d.auth.clientId, str(CLIENT_ID, true, 'must be a client id without spaces')),
      clientMetadataUrl: value('auth.clientMetadataUrl', d.auth.clientMetadataUrl, (v: unknown) => typeof v !== 'string' ? 'must be a string' : v === '' ? undefined : /^https:\/\/[^/\s]+\/\S+$/.test(v) ? undefined : 'must be an https URL with a path'),
      allowLegacyEndpoints: value('auth.allowLegacyEndpoints', d.auth.allowLegacyEndpoints, bool)
    },
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
    protocol: { version: value('protocol.version', d.protocol.version, oneOf(PROTOCOL_SETTINGS)) as ProtocolSetting },
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
  const problems: SettingProblem[] = [];
  const scopes = s.auth.scopes;
  if (scopes.some(x => x.endsWith('/.default')) && scopes.some(x => !x.endsWith('/.default'))) {
    problems.push({ key: 'secureMcp.auth.scopes', message: 'mixes ".default" with named scopes; Entra refuses that combination, request one or the other' });
  }
  if (isEntraProvider(s.auth.providerId) && scopes.some(x => x === 'mcp:tools')) {
    problems.push({ key: 'secureMcp.auth.scopes', message: 'contains the bare "mcp:tools"; Entra needs the full scope, for example "api://<server-app-id>/mcp:tools"' });
  }
  if (isEntraProvider(s.auth.providerId) && s.auth.clientId && !GUID.test(s.auth.clientId)) {
    problems.push({ key: 'secureMcp.auth.clientId', message: 'must be a GUID (an Entra application id) for the Microsoft provider' });
  }
  if (s.timeouts.toolCallMaxSeconds < s.timeouts.toolCallSeconds) {
    problems.push({ key: 'secureMcp.timeouts.toolCallMaxSeconds', message: 'is shorter than secureMcp.timeouts.toolCallSeconds, so the hard limit applies first' });
  }
  if (s.llm.provider === 'azureOpenAI' && (!s.llm.azure.endpoint || !s.llm.azure.deployment)) {
    problems.push({ key: 'secureMcp.llm.provider', message: 'is azureOpenAI, but secureMcp.llm.azure.endpoint and secureMcp.llm.azure.deployment are not both set' });
  }
  return problems;
}

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
