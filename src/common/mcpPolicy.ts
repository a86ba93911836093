/**
 * The organisation's MCP policy, as VS Code's own MCP support reads it, applied to the
 * one server Secure MCP talks to (docs/security.md E10). An extension that runs its own
 * MCP client would otherwise be a way around the policy.
 *
 * The settings and their meaning follow VS Code (1.130 and later for the lists):
 * - `chat.mcp.access`: `none` | `registry` | `all` (default `all`); policy `ChatMCP`.
 *   The older boolean form (`chat.mcp.enabled`, migrated by VS Code) maps false to `none`.
 * - `chat.mcp.deniedServers` / `chat.mcp.allowedServers`: `null` (unset) or a list of
 *   entries `{ serverName }`, `{ serverUrl }` (with `*` wildcards) or `{ serverCommand }`;
 *   deny wins; a set allow list admits only what it matches. Policies
 *   `ChatDeniedMcpServers` / `ChatAllowedMcpServers`.
 * - `chat.mcp.allowManagedServersOnly`: only the administrator's allow list counts, and
 *   a deny entry at any level does.
 */
import { PolicyBlockedError } from './errors';
import type { L10n } from './l10n';

export const MCP_ACCESS_SETTING = 'chat.mcp.access';
export const MCP_ALLOWED_SETTING = 'chat.mcp.allowedServers';
export const MCP_DENIED_SETTING = 'chat.mcp.deniedServers';
export const MCP_MANAGED_ONLY_SETTING = 'chat.mcp.allowManagedServersOnly';
/** Every setting the decision reads; a change to any of them re-evaluates it. */
export const MCP_POLICY_SETTINGS = [MCP_ACCESS_SETTING, MCP_ALLOWED_SETTING, MCP_DENIED_SETTING, MCP_MANAGED_ONLY_SETTING] as const;

export type McpPolicySetting = typeof MCP_ACCESS_SETTING | typeof MCP_ALLOWED_SETTING | typeof MCP_DENIED_SETTING;

/** A setting as `WorkspaceConfiguration.inspect()` shows it. */
export interface InspectedSetting {
  /** The effective value (a policy value overrides every other level). */
  readonly value: unknown;
  /** What an administrator's policy sets; undefined when no policy does. */
  readonly policyValue?: unknown;
}

export interface McpPolicyInput {
  readonly access?: InspectedSetting;
  readonly allowed?: InspectedSetting;
  /** `everyLevel`: the values at each settings level, which count with `allowManagedServersOnly`. */
  readonly denied?: InspectedSetting & { readonly everyLevel?: readonly unknown[] };
  readonly managedOnly?: InspectedSetting;
}

export type McpPolicyRule = 'accessNone' | 'accessRegistry' | 'denied' | 'notAllowed';

export type McpPolicyDecision =
  | { readonly allowed: true }
  | {
    readonly allowed: false;
    readonly rule: McpPolicyRule;
    /** The setting that decided. */
    readonly setting: McpPolicySetting;
    /** Whether an administrator's policy set what decided (as far as `inspect()` tells). */
    readonly managed: boolean;
    /** The deny entry that matched. */
    readonly entry?: string;
  };

/** Whether `serverUrl` may be contacted under `input`. */
export function checkMcpPolicy(input: McpPolicyInput, serverUrl: string): McpPolicyDecision {
  const access = input.access;
  const accessValue = access?.value === false ? 'none' : access?.value;
  if (accessValue === 'none' || accessValue === 'registry') {
    // Secure MCP's server is configured by URL: it is never one installed from VS Code's registry.
    return { allowed: false, rule: accessValue === 'none' ? 'accessNone' : 'accessRegistry', setting: MCP_ACCESS_SETTING, managed: access?.policyValue !== undefined };
  }

  const managedOnly = input.managedOnly?.value === true;
  const denyLists: { list: unknown; managed: boolean }[] = managedOnly
    ? [{ list: input.denied?.policyValue, managed: true }, ...(input.denied?.everyLevel ?? [input.denied?.value]).map(list => ({ list, managed: false }))]
    : [{ list: input.denied?.value, managed: input.denied?.policyValue !== undefined }];
  for (const { list, managed } of denyLists) {
    const entry = urlMatchers(list)?.find(pattern => matchesServerUrl(pattern, serverUrl));
    if (entry !== undefined) {
      return { allowed: false, rule: 'denied', setting: MCP_DENIED_SETTING, managed, entry };
    }
  }

  const allowed = input.allowed;
  const allowList = managedOnly ? urlMatchers(allowed?.policyValue) ?? [] : urlMatchers(allowed?.value);
  if (allowList !== undefined && !allowList.some(pattern => matchesServerUrl(pattern, serverUrl))) {
    const managed = allowed?.policyValue !== undefined || input.managedOnly?.policyValue !== undefined;
    return { allowed: false, rule: 'notAllowed', setting: MCP_ALLOWED_SETTING, managed };
  }
  return { allowed: true };
}

/**
 * The `serverUrl` patterns of a list, or undefined when the list is not set (not an
 * array). Entries that are not exactly one of `serverName`, `serverUrl`, `serverCommand`
 * are dropped, as VS Code drops them; `serverName` and `serverCommand` entries never
 * match this server, which has no VS Code server name and no command.
 */
function urlMatchers(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) {
    return undefined;
  }
  const patterns: string[] = [];
  for (const entry of value as unknown[]) {
    if (!entry || typeof entry !== 'object') {
      continue;
    }
    const { serverName, serverUrl, serverCommand } = entry as Record<string, unknown>;
    const kinds = [
      typeof serverName === 'string' && serverName.length > 0,
      typeof serverUrl === 'string' && serverUrl.length > 0,
      Array.isArray(serverCommand) && serverCommand.length > 0 && serverCommand.every(a => typeof a === 'string')
    ].filter(Boolean).length;
    if (kinds === 1 && typeof serverUrl === 'string' && serverUrl.length > 0) {
      patterns.push(serverUrl);
    }
  }
  return patterns;
}

/**
 * Whether a `serverUrl` entry matches the server URL. As VS Code does: the URL is
 * compared as the destination `fetch` uses (origin, path and query; no user info, no
 * fragment), case-insensitively; `*` stands for any characters, but within the host and
 * port only for characters of an authority, so `https://good.example/*` never matches
 * `https://good.example.evil.test/`. Beyond VS Code: an entry without wildcards is
 * normalised like a URL (default port, dot segments), and a trailing slash on the path
 * does not make a different server.
 */
export function matchesServerUrl(pattern: string, serverUrl: string): boolean {
  const destination = destinationOf(serverUrl);
  if (destination === undefined) {
    return false;
  }
  const candidates = [destination, toggleTrailingSlash(destination)];
  if (!pattern.includes('*')) {
    const exact = destinationOf(pattern);
    return exact !== undefined && candidates.some(c => c.toLowerCase() === exact.toLowerCase());
  }
  const regex = new RegExp(patternSource(pattern), 'i');
  return candidates.some(c => regex.test(c));
}

function destinationOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return undefined;
  }
  return parsed.origin + parsed.pathname + parsed.search;
}

/** `…/mcp` ↔ `…/mcp/`; the root path `/` stays as it is. */
function toggleTrailingSlash(destination: string): string {
  const url = new URL(destination);
  if (url.pathname === '/') {
    return destination;
  }
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : `${url.pathname}/`;
  return url.origin + path + url.search;
}

function patternSource(pattern: string): string {
  const scheme = pattern.indexOf('://');
  const authorityStart = scheme >= 0 ? scheme + 3 : 0;
  let authorityEnd = pattern.length;
  for (let i = authorityStart; i < pattern.length; i++) {
    if ('/\\?#'.includes(pattern[i]!)) {
      authorityEnd = i;
      break;
    }
  }
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    source += char === '*'
      ? (i < authorityEnd ? '[^/@\\\\?#]*' : '.*')
      : char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return `${source}$`;
}

/** Why the server is blocked, in one sentence naming the setting and who set it. */
export function policyReason(decision: Extract<McpPolicyDecision, { allowed: false }>, serverUrl: string, l10n: L10n): string {
  const m = decision.managed;
  switch (decision.rule) {
    case 'accessNone':
      return m
        ? l10n.t('Your organization\'s policy turns MCP servers off ({0} is "none").', decision.setting)
        : l10n.t('VS Code\'s settings turn MCP servers off ({0} is "none").', decision.setting);
    case 'accessRegistry':
      return m
        ? l10n.t('Your organization\'s policy allows only MCP servers from VS Code\'s MCP registry ({0} is "registry"), and {1} is configured by URL.', decision.setting, serverUrl)
        : l10n.t('VS Code\'s settings allow only MCP servers from VS Code\'s MCP registry ({0} is "registry"), and {1} is configured by URL.', decision.setting, serverUrl);
    case 'denied':
      return m
        ? l10n.t('Your organization\'s policy denies {0} (it matches "{1}" in {2}).', serverUrl, decision.entry ?? '', decision.setting)
        : l10n.t('VS Code\'s settings deny {0} (it matches "{1}" in {2}).', serverUrl, decision.entry ?? '', decision.setting);
    case 'notAllowed':
      return m
        ? l10n.t('Your organization\'s policy does not allow {0} (it matches no entry in {1}).', serverUrl, decision.setting)
        : l10n.t('VS Code\'s settings do not allow {0} (it matches no entry in {1}).', serverUrl, decision.setting);
  }
}

/** The error that stops every attempt to contact a server the policy excludes. */
export function policyBlockedError(decision: Extract<McpPolicyDecision, { allowed: false }>, serverUrl: string, l10n: L10n): PolicyBlockedError {
  return new PolicyBlockedError(policyReason(decision, serverUrl, l10n), serverUrl, decision.setting, decision.managed);
}
