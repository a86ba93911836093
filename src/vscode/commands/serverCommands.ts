import * as vscode from 'vscode';
import type { DiagnoseInput } from '../../common/diagnose';
import { maskedSession } from '../../common/chat/masking';
import { toolDetailsMarkdown } from '../../common/chat/toolList';
import type { Tool } from '../../node/mcp/session';
import { scoped, type Logger } from '../../common/log';
import { checkSecureUrl, isEntraProvider, missingRequiredScopes, sessionScopes } from '../../common/settings';
import { withProgress, type CommandDeps, type CommandResult } from './command';
import { SECTION } from '../settingsService';
import { API_KEY_SECRETS, type KeyedProvider } from '../llm/models';
import { decodeClaims } from '../../common/auth/claims';
import { diagnose, renderReport } from '../../common/diagnose';
import { discover } from '../../node/discovery/discovery';
import { createSafeFetch } from '../../node/discovery/safeFetch';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Stores an LLM API key in secret storage (never settings). With `{ provider, key }` as
 * the argument no UI is shown (tests, walkthrough); an empty key removes the stored one.
 */
export async function setApiKey(deps: CommandDeps, arg: unknown): Promise<CommandResult> {
  const given = arg && typeof arg === 'object' ? arg as { provider?: unknown; key?: unknown } : undefined;
  let provider: KeyedProvider | undefined = given?.provider === 'openai' || given?.provider === 'azureOpenAI' ? given.provider : undefined;
  if (!provider) {
    const pick = await vscode.window.showQuickPick([
      { label: 'OpenAI', description: vscode.l10n.t('or an OpenAI-compatible endpoint'), provider: 'openai' as const },
      { label: 'Azure OpenAI', description: vscode.l10n.t('key mode (Entra needs no key)'), provider: 'azureOpenAI' as const }
    ], { title: vscode.l10n.t('Secure MCP: which API key?') });
    provider = pick?.provider;
  }
  if (!provider) {
    return { done: false, message: vscode.l10n.t('Setting an API key was cancelled.') };
  }
  let key = typeof given?.key === 'string' ? given.key : undefined;
  if (key === undefined) {
    key = await vscode.window.showInputBox({
      title: vscode.l10n.t('Secure MCP: {0} API key', provider === 'openai' ? 'OpenAI' : 'Azure OpenAI'),
      prompt: vscode.l10n.t('Stored in VS Code\'s secret storage. Leave empty to remove the stored key.'),
      password: true,
      ignoreFocusOut: true
    });
  }
  if (key === undefined) {
    return { done: false, message: vscode.l10n.t('Setting an API key was cancelled.') };
  }
  key = key.trim();
  if (/\s/.test(key)) {
    return { done: false, message: vscode.l10n.t('An API key has no spaces; nothing was stored.') };
  }
  if (!key) {
    await deps.context.secrets.delete(API_KEY_SECRETS[provider]);
    return { done: true, message: vscode.l10n.t('The stored API key was removed.') };
  }
  await deps.context.secrets.store(API_KEY_SECRETS[provider], key);
  const message = vscode.l10n.t('The {0} API key is stored in secret storage.', provider === 'openai' ? 'OpenAI' : 'Azure OpenAI');
  if (arg === undefined) {
    void vscode.window.showInformationMessage(message);
  }
  return { done: true, message };
}

/**
 * Lists the server's tools in a quick pick; the one picked is described in a read-only
 * document (description, annotations as claims, schemas, how to call it). With a tool
 * name as the argument, that tool is described without the pick.
 */
export async function showTools(deps: CommandDeps, name?: string): Promise<CommandResult> {
  const tools = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Listing the server\'s tools…') },
    // Titles and descriptions are the server's words, masked as the chat masks them (A2).
    () => maskedSession(deps.connection, deps.connection.redact).listTools());
  const serverUrl = deps.settings.current.settings.serverUrl;
  const describe = async (tool: Tool): Promise<CommandResult> => {
    await deps.toolDetails.show(`/${encodeURIComponent(tool.name)}.md`, toolDetailsMarkdown(tool, new URL(serverUrl).host, vscode.l10n));
    return { done: true, message: vscode.l10n.t('{0} is described in the editor.', tool.name) };
  };
  if (name !== undefined) {
    const tool = tools.find(t => t.name === name);
    return tool ? describe(tool) : { done: false, message: vscode.l10n.t('The server has no tool {0}.', name) };
  }
  const items = tools.map(t => ({
    label: t.title ?? t.name,
    description: t.name,
    detail: t.description ?? '',
    tool: t,
    ...(t.annotations?.destructiveHint ? { iconPath: new vscode.ThemeIcon('warning') } : {})
  }));
  // Not awaited: the command reports the list at once, and a pick shows its tool later.
  void Promise.resolve(vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Tools offered by {0} (descriptions are claims by the server)', serverUrl),
    placeHolder: vscode.l10n.t('Pick a tool to see its description, annotations and schemas'),
    matchOnDetail: true
  })).then(pick => pick && describe(pick.tool)).catch(e => scoped(deps.logger, 'tools').warn(`showing a tool failed: ${e instanceof Error ? e.message : String(e)}`));
  return { done: true, message: vscode.l10n.t('{0} tools: {1}', tools.length, tools.map(t => t.name).join(', ')) };
}

/** One report document, replaced by each run: never an Untitled document that asks to be saved. */
export const DIAGNOSIS_PATH = '/Secure MCP Diagnose.md';

export async function diagnoseCommand(deps: CommandDeps): Promise<CommandResult> {
  const report = await withProgress(vscode.l10n.t('Diagnosing the connection and sign-in…'), async () => {
    const { settings, problems } = deps.settings.current;
    const input: Mutable<DiagnoseInput> = { settings, problems, now: Date.now() };
    if (settings.serverUrl && deps.settings.blockedBy(settings.serverUrl)) {
      // The policy excludes the server: Diagnose does not probe it either (docs/security.md E10).
      await deps.connection.checkServer();
      input.state = deps.connection.state;
    } else if (settings.serverUrl) {
      input.discovery = await discover(new URL(settings.serverUrl), { fetch: createSafeFetch(), logger: deps.logger, configuredTenant: settings.auth.tenant });
      const scopes = settings.auth.scopes.length ? settings.auth.scopes : [...input.discovery.proposedScopes];
      try {
        const token = await deps.connection.tokenSource.getToken({ scopes });
        const claims = token ? decodeClaims(token.token) : undefined;
        const failure = deps.connection.tokenSource.lastFailure;
        input.token = token
          ? { acquired: true, ...(token.account ? { account: token.account.label } : {}), ...(claims ? { claims } : {}) }
          : { acquired: false, ...(failure ? { error: failure } : {}) };
        if (token && !missingRequiredScopes(settings) && !problems.length) {
          // Its failure is in the state, which the report shows as the status bar does.
          await deps.connection.reconnect().catch(() => undefined);
        } else if (!problems.length) {
          await deps.connection.checkServer();
        }
      } catch (e) {
        input.token = { acquired: false, error: e instanceof Error ? e.message : String(e) };
      }
      input.state = deps.connection.state;
    }
    const findings = diagnose(input);
    return { done: true, message: renderReport(input, findings) };
  });
  await deps.diagnosis.show(DIAGNOSIS_PATH, report.message);
  return report;
}

/**
 * Saves the server URL, then probes it: the Protected Resource Metadata names the
 * authorization server (and with it an Entra tenant) and the scopes, which are saved
 * too. With an argument (tests, walkthrough links) no input box is shown.
 */
export async function configureServer(deps: CommandDeps, given: string | undefined): Promise<CommandResult> {
  const validate = (v: string) => {
    const why = checkSecureUrl(v.trim());
    return why ? vscode.l10n.t('The server URL {0}.', why) : undefined;
  };
  let url = given?.trim();
  if (url === undefined) {
    url = (await vscode.window.showInputBox({
      title: vscode.l10n.t('Secure MCP: Configure Server'),
      prompt: vscode.l10n.t('URL of the MCP server endpoint (https://, or http:// for localhost only)'),
      placeHolder: 'https://contoso.example/mcp',
      value: deps.settings.current.settings.serverUrl,
      ignoreFocusOut: true,
      validateInput: validate
    }))?.trim();
    if (url === undefined) {
      return { done: false, message: vscode.l10n.t('Configuring the server was cancelled.') };
    }
  }
  const why = validate(url);
  if (why) {
    void vscode.window.showErrorMessage(why);
    return { done: false, message: why };
  }
  const blocked = deps.settings.blockedBy(url);
  if (blocked) {
    // Not saved and not probed: the organisation's MCP policy excludes it (docs/security.md E10).
    const message = vscode.l10n.t('{0} is blocked by policy and was not contacted: {1}', url, blocked.message);
    void vscode.window.showErrorMessage(message);
    return { done: false, message };
  }
  const config = vscode.workspace.getConfiguration(SECTION);
  await config.update('serverUrl', url, vscode.ConfigurationTarget.Global);
  const interactive = given === undefined;
  const current = deps.settings.current.settings;
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Probing {0}…', url) },
    () => discover(new URL(url), { fetch: createSafeFetch(), logger: deps.logger, configuredTenant: current.auth.tenant }));
  const notes: string[] = [vscode.l10n.t('The MCP server is set to {0}.', url)];
  const errors = result.findings.filter(f => f.level === 'error');
  if (errors.length) {
    notes.push(...errors.map(f => f.fix ? `${f.message} ${f.fix}` : f.message));
    void vscode.window.showWarningMessage(notes.join(' '), vscode.l10n.t('Diagnose')).then(c => c && vscode.commands.executeCommand('secureMcp.diagnose'));
    return { done: true, message: notes.join(' ') };
  }
  if (!result.entra && isEntraProvider(current.auth.providerId)) {
    // The Microsoft provider can only sign in to Entra; any other OAuth 2.1 server needs ours.
    await config.update('auth.providerId', 'secure-mcp-oauth', vscode.ConfigurationTarget.Global);
    notes.push(vscode.l10n.t('The server\'s authorization server is not Entra ID, so sign-in uses Secure MCP\'s own OAuth provider.'));
  }
  if (result.entra) {
    if (!isEntraProvider(current.auth.providerId)) {
      await config.update('auth.providerId', 'microsoft', vscode.ConfigurationTarget.Global);
    }
    if (!current.auth.tenant || ['organizations', 'common'].includes(current.auth.tenant)) {
      await config.update('auth.tenant', result.entra.tenant, vscode.ConfigurationTarget.Global);
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
    await config.update('auth.scopes', scopes, vscode.ConfigurationTarget.Global);
    notes.push(vscode.l10n.t('Scopes: {0}.', scopes.join(' ')));
  }
  log(deps).info(`configured ${url}; scopes ${sessionScopes(deps.settings.current.settings).join(' ')}`);
  const message = notes.join(' ');
  if (interactive) {
    void vscode.window.showInformationMessage(message, vscode.l10n.t('Sign In')).then(c => c && vscode.commands.executeCommand('secureMcp.signIn'));
  }
  return { done: true, message };
}

function log(deps: CommandDeps): Logger {
  return scoped(deps.logger, 'configure');
}
