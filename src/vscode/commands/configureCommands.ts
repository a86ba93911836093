import * as vscode from 'vscode';
import { scoped, type Logger } from '../../common/log';
import {
  checkSecureUrl, DEFAULT_SETTINGS, defaultServerName, isEntraProvider, OWN_OAUTH_PROVIDER_ID, sameServerUrl, sessionScopes,
  type AuthSettings, type ServerSettings
} from '../../common/settings';
import { discover } from '../../node/discovery/discovery';
import { createSafeFetch } from '../../node/discovery/safeFetch';
import { signedOutKey, SIGNED_OUT_KEY } from '../auth/vscodeTokenSource';
import { SECTION } from '../settingsService';
import { targetServer, type CommandDeps, type CommandResult } from './command';
import type { Mutable } from './serverCommands';

/*
 * Configure Server and Add Server: where a server's settings come from. Both probe the
 * server for its sign-in; Add Server moves the single-server settings into
 * secureMcp.servers first (docs/servers.md).
 */

const validateUrl = (v: string): string | undefined => {
  const why = checkSecureUrl(v.trim());
  return why ? vscode.l10n.t('The server URL {0}.', why) : undefined;
};

/** Refuses a URL that is not a secure URL, or that the organisation's policy blocks; the message says why. */
function refusal(deps: CommandDeps, url: string): string | undefined {
  const why = validateUrl(url);
  if (why) {
    return why;
  }
  const blocked = deps.settings.blockedBy(url);
  // Not saved and not probed: the organisation's MCP policy excludes it (docs/security.md E10).
  return blocked ? vscode.l10n.t('{0} is blocked by policy and was not contacted: {1}', url, blocked.message) : undefined;
}

/** What probing a server found for its sign-in, and what to tell the user. */
interface ProbedAuth {
  readonly auth: Partial<Mutable<AuthSettings>>;
  readonly notes: string[];
  readonly failed: boolean;
}

/**
 * Probes a server: its Protected Resource Metadata names the authorization server (and
 * with it an Entra tenant) and the scopes. Returns the sign-in settings that follow from
 * it, changed from `auth` only where needed.
 */
async function probeAuth(deps: CommandDeps, url: string, auth: AuthSettings, interactive: boolean): Promise<ProbedAuth> {
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Probing {0}…', url) },
    () => discover(new URL(url), { fetch: createSafeFetch(), logger: deps.logger, configuredTenant: auth.tenant }));
  const notes: string[] = [];
  const errors = result.findings.filter(f => f.level === 'error');
  if (errors.length) {
    return { auth: {}, notes: errors.map(f => f.fix ? `${f.message} ${f.fix}` : f.message), failed: true };
  }
  const updates: Partial<Mutable<AuthSettings>> = {};
  if (!result.entra && isEntraProvider(auth.providerId)) {
    // The Microsoft provider can only sign in to Entra; any other OAuth 2.1 server needs ours.
    updates.providerId = OWN_OAUTH_PROVIDER_ID;
    notes.push(vscode.l10n.t('The server\'s authorization server is not Entra ID, so sign-in uses Secure MCP\'s own OAuth provider.'));
  }
  if (result.entra) {
    if (!isEntraProvider(auth.providerId)) {
      updates.providerId = 'microsoft';
    }
    if (!auth.tenant || ['organizations', 'common'].includes(auth.tenant)) {
      updates.tenant = result.entra.tenant;
      notes.push(vscode.l10n.t('Entra tenant {0}.', result.entra.tenant));
    }
  }
  let scopes = [...result.proposedScopes];
  const bare = result.findings.find(f => f.code === 'bare-scope');
  if (bare) {
    notes.push(bare.message);
    if (interactive) {
      const typed = await vscode.window.showInputBox({
        title: vscode.l10n.t('Secure MCP: the full scope for Entra'),
        prompt: bare.message,
        placeHolder: 'api://<server-app-id>/mcp:tools',
        ignoreFocusOut: true,
        validateInput: v => /^\S+\/\S+$/.test(v.trim()) ? undefined : vscode.l10n.t('A full scope looks like api://<server-app-id>/mcp:tools.')
      });
      scopes = typed ? [typed.trim()] : [];
    }
  }
  if (scopes.length) {
    updates.scopes = scopes;
    notes.push(vscode.l10n.t('Scopes: {0}.', scopes.join(' ')));
  }
  return { auth: updates, notes, failed: false };
}

/** Tells the user what was configured: a warning with Diagnose after a failed probe, else an offer to sign in. */
function reportConfigured(notes: readonly string[], failed: boolean, interactive: boolean, server?: string): CommandResult {
  const message = notes.join(' ');
  if (failed) {
    void vscode.window.showWarningMessage(message, vscode.l10n.t('Diagnose')).then(c => c && vscode.commands.executeCommand('secureMcp.diagnose', ...(server ? [server] : [])));
  } else if (interactive) {
    void vscode.window.showInformationMessage(message, vscode.l10n.t('Sign In')).then(c => c && vscode.commands.executeCommand('secureMcp.signIn', ...(server ? [server] : [])));
  }
  return { done: true, message };
}

/**
 * Saves the server URL of the single-server settings, then probes it and saves the sign-in
 * settings that follow. With an argument (tests, walkthrough links) no input box is shown.
 * Once a server is configured, the interactive command offers to add another instead.
 */
export async function configureServer(deps: CommandDeps, given: string | undefined): Promise<CommandResult> {
  const current = deps.settings.current.settings;
  let url = given?.trim();
  if (url === undefined) {
    if (current.servers.length) {
      const add = vscode.l10n.t('Add another server…');
      const change = current.serverUrl ? vscode.l10n.t('Change {0}', current.serverUrl) : vscode.l10n.t('Edit the servers in settings.json');
      const choice = await vscode.window.showQuickPick([add, change], { title: vscode.l10n.t('Secure MCP: Configure Server') });
      if (choice === add) {
        return addServer(deps, undefined);
      }
      if (choice !== change) {
        return { done: false, message: vscode.l10n.t('Configuring the server was cancelled.') };
      }
      if (!current.serverUrl) {
        await vscode.commands.executeCommand('workbench.action.openSettingsJson');
        return { done: true, message: vscode.l10n.t('The servers are in secureMcp.servers.') };
      }
    }
    url = (await vscode.window.showInputBox({
      title: vscode.l10n.t('Secure MCP: Configure Server'),
      prompt: vscode.l10n.t('URL of the MCP server endpoint (https://, or http:// for localhost only)'),
      placeHolder: 'https://contoso.example/mcp',
      value: current.serverUrl,
      ignoreFocusOut: true,
      validateInput: validateUrl
    }))?.trim();
    if (url === undefined) {
      return { done: false, message: vscode.l10n.t('Configuring the server was cancelled.') };
    }
  }
  const refused = refusal(deps, url);
  if (refused) {
    void vscode.window.showErrorMessage(refused);
    return { done: false, message: refused };
  }
  const config = vscode.workspace.getConfiguration(SECTION);
  await config.update('serverUrl', url, vscode.ConfigurationTarget.Global);
  const interactive = given === undefined;
  const probed = await probeAuth(deps, url, deps.settings.current.settings.auth, interactive);
  for (const [key, value] of Object.entries(probed.auth)) {
    await config.update(`auth.${key}`, value, vscode.ConfigurationTarget.Global);
  }
  log(deps).info(`configured ${url}; scopes ${sessionScopes(deps.settings.current.settings).join(' ')}`);
  return reportConfigured([vscode.l10n.t('The MCP server is set to {0}.', url), ...probed.notes], probed.failed, interactive);
}

/** An entry of secureMcp.servers as written to settings.json: only what differs from the defaults. */
type ServerEntry = { name: string; url: string; auth?: Partial<AuthSettings>; protocol?: string };

function entryOf(server: ServerSettings): ServerEntry {
  const d = DEFAULT_SETTINGS.auth;
  const auth = Object.fromEntries(Object.entries(server.auth).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(d[k as keyof AuthSettings])));
  return { name: server.name, url: server.url, ...(Object.keys(auth).length ? { auth } : {}), ...(server.protocol !== 'auto' ? { protocol: server.protocol } : {}) };
}

/** The single-server settings a migration moves into secureMcp.servers. */
const SINGLE_SERVER_KEYS = ['serverUrl', 'auth.providerId', 'auth.scopes', 'auth.tenant', 'auth.clientId', 'auth.clientMetadataUrl', 'auth.allowLegacyEndpoints', 'protocol.version'];

/**
 * Adds a server to secureMcp.servers: `{ url, name? }` as the argument, or asked for. The
 * single-server settings' server, if any, moves into the list first (its sign-in settings
 * and "signed out" with it), so nothing is lost; then the new server is probed for its sign-in.
 */
export async function addServer(deps: CommandDeps, arg: unknown): Promise<CommandResult> {
  const given = arg && typeof arg === 'object' ? arg as { url?: unknown; name?: unknown } : undefined;
  const interactive = given === undefined;
  let url = typeof given?.url === 'string' ? given.url.trim() : undefined;
  if (url === undefined) {
    url = (await vscode.window.showInputBox({
      title: vscode.l10n.t('Secure MCP: Add Server'),
      prompt: vscode.l10n.t('URL of the MCP server endpoint (https://, or http:// for localhost only)'),
      placeHolder: 'https://contoso.example/mcp',
      ignoreFocusOut: true,
      validateInput: validateUrl
    }))?.trim();
  }
  if (!url) {
    return { done: false, message: vscode.l10n.t('Adding a server was cancelled.') };
  }
  const refused = refusal(deps, url);
  if (refused) {
    void vscode.window.showErrorMessage(refused);
    return { done: false, message: refused };
  }
  const current = deps.settings.current.settings;
  if (current.servers.some(s => sameServerUrl(s.url, url))) {
    return { done: false, message: vscode.l10n.t('{0} is configured already.', url) };
  }
  const taken = new Set(current.servers.map(s => s.name.toLowerCase()));
  const unique = (base: string) => {
    let name = base;
    for (let i = 2; taken.has(name.toLowerCase()); i++) {
      name = `${base.slice(0, 28)}-${i}`;
    }
    return name;
  };
  let name = typeof given?.name === 'string' ? given.name : undefined;
  if (name === undefined && interactive) {
    name = (await vscode.window.showInputBox({
      title: vscode.l10n.t('Secure MCP: a name for {0}', url),
      prompt: vscode.l10n.t('Names its tools in chat (<name>__<tool>) and in /call <name>/<tool>.'),
      value: unique(defaultServerName(url)),
      ignoreFocusOut: true,
      validateInput: v => /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(v) ? taken.has(v.toLowerCase()) ? vscode.l10n.t('Another server has that name.') : undefined : vscode.l10n.t('1 to 32 letters, digits, "-" or "_".')
    }))?.trim();
    if (name === undefined) {
      return { done: false, message: vscode.l10n.t('Adding a server was cancelled.') };
    }
  }
  name ??= unique(defaultServerName(url));
  if (taken.has(name.toLowerCase())) {
    return { done: false, message: vscode.l10n.t('Another server is named {0}.', name) };
  }
  const probed = await probeAuth(deps, url, DEFAULT_SETTINGS.auth, interactive);
  const entry: ServerEntry = { name, url, ...(Object.keys(probed.auth).length ? { auth: probed.auth } : {}) };
  const config = vscode.workspace.getConfiguration(SECTION);
  const entries = current.servers.filter(s => s.source !== 'secureMcp').map(entryOf);
  const single = current.servers.find(s => s.source === 'secureMcp');
  const notes: string[] = [];
  if (single) {
    // Migration: the single-server settings become the first entry, and keep being signed in (or out).
    const migrated = entryOf(single);
    entries.unshift(migrated);
    await deps.context.globalState.update(signedOutKey({ name: migrated.name, source: 'entry' }), deps.context.globalState.get(SIGNED_OUT_KEY));
    notes.push(vscode.l10n.t('{0} moved from secureMcp.serverUrl into secureMcp.servers as "{1}", with its sign-in settings.', single.url, migrated.name));
  }
  entries.push(entry);
  await config.update('servers', entries, vscode.ConfigurationTarget.Global);
  if (single) {
    for (const key of SINGLE_SERVER_KEYS) {
      await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
  }
  log(deps).info(`added server ${name} (${url})${single ? `; migrated ${single.url} as ${single.name}` : ''}`);
  return reportConfigured([vscode.l10n.t('Added the MCP server {0} as "{1}".', url, name), ...notes, ...probed.notes], probed.failed, interactive, name);
}

/**
 * Removes a server: its entry of secureMcp.servers, or the single-server settings' URL.
 * Its connection closes; the account stays with its provider (the Accounts menu removes it).
 */
export async function removeServer(deps: CommandDeps, arg: unknown): Promise<CommandResult> {
  // A name alone (tests, other commands) removes without asking; the Command Palette and the server list ask.
  const given = typeof arg === 'string' ? { name: arg, confirm: false } : { name: (arg as { name?: unknown } | undefined)?.name, confirm: true };
  const connection = await targetServer(deps, given.name, vscode.l10n.t('Secure MCP: remove which server?'));
  const server = connection?.server;
  const cancelled = { done: false, message: vscode.l10n.t('Removing a server was cancelled.') };
  if (!connection || !server) {
    return cancelled;
  }
  if (given.confirm) {
    const remove = vscode.l10n.t('Remove');
    const detail = vscode.l10n.t('Its tools are no longer offered. Your account stays in the Accounts menu.');
    if (await vscode.window.showWarningMessage(vscode.l10n.t('Remove the MCP server {0} from Secure MCP?', connection.label), { modal: true, detail }, remove) !== remove) {
      return cancelled;
    }
  }
  const config = vscode.workspace.getConfiguration(SECTION);
  if (server.source === 'secureMcp') {
    await config.update('serverUrl', undefined, vscode.ConfigurationTarget.Global);
  } else {
    const entries = deps.settings.current.settings.servers.filter(s => s.source !== 'secureMcp' && s.name !== server.name).map(entryOf);
    await config.update('servers', entries.length ? entries : undefined, vscode.ConfigurationTarget.Global);
  }
  await deps.context.globalState.update(signedOutKey(server), undefined);
  log(deps).info(`removed server ${server.name} (${server.url})`);
  const message = vscode.l10n.t('Removed the MCP server {0} ({1}).', server.name, server.url);
  void vscode.window.showInformationMessage(message);
  return { done: true, message };
}

function log(deps: CommandDeps): Logger {
  return scoped(deps.logger, 'configure');
}
