import * as vscode from 'vscode';
import type { DiagnoseInput } from '../../common/diagnose';
import { maskedSession } from '../../common/chat/masking';
import { toolDetailsMarkdown } from '../../common/chat/toolList';
import type { Tool } from '../../node/mcp/session';
import { scoped } from '../../common/log';
import { connectionProblems } from '../../common/servers';
import { missingRequiredScopes } from '../../common/settings';
import { targetServer, withProgress, type CommandDeps, type CommandResult } from './command';
import { API_KEY_SECRETS, type KeyedProvider } from '../llm/models';
import { decodeClaims } from '../../common/auth/claims';
import { diagnose, renderReport } from '../../common/diagnose';
import { discover } from '../../node/discovery/discovery';
import { createSafeFetch } from '../../node/discovery/safeFetch';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

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
 * Lists a server's tools in a quick pick; the one picked is described in a read-only
 * document (description, annotations as claims, schemas, how to call it). The argument
 * may name a server, a tool (`<tool>`, or `<server>/<tool>`), which is then described
 * without the pick.
 */
export async function showTools(deps: CommandDeps, arg?: string): Promise<CommandResult> {
  const slash = arg?.indexOf('/') ?? -1;
  const serverArg = slash > 0 ? arg!.slice(0, slash) : arg && deps.connections.get(arg) ? arg : undefined;
  const name = slash > 0 ? arg!.slice(slash + 1) : serverArg ? undefined : arg;
  const connection = await targetServer(deps, serverArg, vscode.l10n.t('Secure MCP: show the tools of which server?'));
  if (!connection) {
    return { done: false, message: vscode.l10n.t('Showing the tools was cancelled.') };
  }
  const tools = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Listing the tools of {0}…', connection.label) },
    // Titles and descriptions are the server's words, masked as the chat masks them (A2).
    () => maskedSession(connection, connection.redact).listTools());
  const describe = async (tool: Tool): Promise<CommandResult> => {
    // With several servers, one document per server and tool (two servers may have a tool of the same name).
    const folder = deps.connections.all.length > 1 ? `/${encodeURIComponent(connection.name)}` : '';
    await deps.toolDetails.show(`${folder}/${encodeURIComponent(tool.name)}.md`, toolDetailsMarkdown(tool, connection.label, vscode.l10n));
    return { done: true, message: vscode.l10n.t('{0} is described in the editor.', tool.name) };
  };
  if (name !== undefined) {
    const tool = tools.find(t => t.name === name);
    return tool ? describe(tool) : { done: false, message: vscode.l10n.t('{0} has no tool {1}.', connection.label, name) };
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
    title: vscode.l10n.t('Tools offered by {0} (descriptions are claims by the server)', connection.label),
    placeHolder: vscode.l10n.t('Pick a tool to see its description, annotations and schemas'),
    matchOnDetail: true
  })).then(pick => pick && describe(pick.tool)).catch(e => scoped(deps.logger, 'tools').warn(`showing a tool failed: ${e instanceof Error ? e.message : String(e)}`));
  return { done: true, message: vscode.l10n.t('{0} tools: {1}', tools.length, tools.map(t => t.name).join(', ')) };
}

/**
 * Every server with its state, account, protocol and tools, in a quick pick; picking one
 * offers what can be done with it. The command's result lists them (one line each).
 */
export async function showServers(deps: CommandDeps): Promise<CommandResult> {
  const { servers } = deps.connections.summary;
  const lines = servers.map(s => `${s.name || '-'}: ${s.view.detail}`);
  const items = servers.map(s => ({ label: `${s.view.icon} ${s.name || vscode.l10n.t('(no server)')}`, description: s.view.text.replace(/^MCP: /, ''), detail: s.view.detail, server: s }));
  void Promise.resolve(vscode.window.showQuickPick([...items, { label: `$(add) ${vscode.l10n.t('Add Server…')}`, description: '', detail: '', server: undefined }], {
    title: vscode.l10n.t('Secure MCP: servers'),
    placeHolder: vscode.l10n.t('Pick a server to sign in or out, reconnect, diagnose or see its tools'),
    matchOnDetail: true
  })).then(async pick => {
    if (!pick) {
      return;
    }
    if (!pick.server) {
      await vscode.commands.executeCommand('secureMcp.addServer');
      return;
    }
    const name = pick.server.name;
    const actions = [
      { label: vscode.l10n.t('Sign In'), command: 'secureMcp.signIn' },
      { label: vscode.l10n.t('Sign Out'), command: 'secureMcp.signOut' },
      { label: vscode.l10n.t('Reconnect'), command: 'secureMcp.reconnect' },
      { label: vscode.l10n.t('Diagnose'), command: 'secureMcp.diagnose' },
      { label: vscode.l10n.t('Show Tools'), command: 'secureMcp.showTools' },
      ...(name ? [{ label: vscode.l10n.t('Remove Server…'), command: 'secureMcp.removeServer' }] : [])
    ];
    const action = await vscode.window.showQuickPick(actions, { title: vscode.l10n.t('Secure MCP: {0}', pick.server.label || name) });
    if (action) {
      // Removing asks once more, as it does from the Command Palette.
      await vscode.commands.executeCommand(action.command, ...(action.command === 'secureMcp.removeServer' ? [{ name, confirm: true }] : name ? [name] : []));
    }
  }).catch(e => scoped(deps.logger, 'servers').warn(`the server list failed: ${e instanceof Error ? e.message : String(e)}`));
  return { done: true, message: lines.join('\n') };
}

/** One report document, replaced by each run: never an Untitled document that asks to be saved. */
export const DIAGNOSIS_PATH = '/Secure MCP Diagnose.md';

export async function diagnoseCommand(deps: CommandDeps, arg?: unknown): Promise<CommandResult> {
  const connection = await targetServer(deps, arg, vscode.l10n.t('Secure MCP: diagnose which server?'));
  if (!connection) {
    return { done: false, message: vscode.l10n.t('Diagnosing was cancelled.') };
  }
  const report = await withProgress(vscode.l10n.t('Diagnosing the connection and sign-in…'), async () => {
    const current = deps.settings.current;
    const settings = connection.settings;
    const problems = [...connectionProblems(current, connection.server), ...current.problems.filter(p => p.key.startsWith('secureMcp.llm.'))];
    const server = connection.server;
    const input: Mutable<DiagnoseInput> = { settings, problems, now: Date.now(), ...(server ? { server: { name: server.name, source: server.source } } : {}) };
    if (settings.serverUrl && deps.settings.blockedBy(settings.serverUrl)) {
      // The policy excludes the server: Diagnose does not probe it either (docs/security.md E10).
      await connection.checkServer();
      input.state = connection.state;
    } else if (settings.serverUrl) {
      input.discovery = await discover(new URL(settings.serverUrl), { fetch: createSafeFetch(), logger: deps.logger, configuredTenant: settings.auth.tenant });
      const scopes = settings.auth.scopes.length ? settings.auth.scopes : [...input.discovery.proposedScopes];
      try {
        const token = await connection.tokenSource.getToken({ scopes });
        const claims = token ? decodeClaims(token.token) : undefined;
        const failure = connection.tokenSource.lastFailure;
        input.token = token
          ? { acquired: true, ...(token.account ? { account: token.account.label } : {}), ...(claims ? { claims } : {}) }
          : { acquired: false, ...(failure ? { error: failure } : {}) };
        if (token && !missingRequiredScopes(settings) && !problems.length) {
          // Its failure is in the state, which the report shows as the status bar does.
          await connection.reconnect().catch(() => undefined);
        } else if (!problems.length) {
          await connection.checkServer();
        }
      } catch (e) {
        input.token = { acquired: false, error: e instanceof Error ? e.message : String(e) };
      }
      input.state = connection.state;
    }
    const findings = diagnose(input);
    return { done: true, message: renderReport(input, findings) };
  });
  await deps.diagnosis.show(DIAGNOSIS_PATH, report.message);
  return report;
}
