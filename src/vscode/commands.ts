import * as vscode from 'vscode';
import type { DiagnoseInput } from '../common/diagnose';
import { AuthRequiredError, ConfigurationError, SecureMcpError } from '../common/errors';
import { checkSecureUrl, isEntraProvider, sessionScopes } from '../common/settings';
import { scoped, type Logger } from '../common/log';
import { SECTION, type SettingsService } from './config';
import type { ConnectionService } from './connection';
import { loadRuntime } from './lazy';

export const COMMAND_IDS = [
  'secureMcp.signIn',
  'secureMcp.signOut',
  'secureMcp.configureServer',
  'secureMcp.setApiKey',
  'secureMcp.showTools',
  'secureMcp.reconnect',
  'secureMcp.diagnose',
  'secureMcp.showLog',
  'secureMcp.showAuditLog',
  'secureMcp.resetApprovals'
] as const;

export type CommandId = typeof COMMAND_IDS[number];

/** What a command did, returned so other commands, the chat participant and tests can act on it. */
export interface CommandResult {
  readonly done: boolean;
  readonly message: string;
}

export interface CommandDeps {
  readonly settings: SettingsService;
  readonly connection: ConnectionService;
  readonly channel: vscode.LogOutputChannel;
  readonly logger: Logger;
}

type Handler = (...args: unknown[]) => Promise<CommandResult>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  const log = scoped(deps.logger, 'commands');
  const notYet = (what: string): Handler => async () => {
    const message = vscode.l10n.t('{0} is not available yet in this version of Secure MCP.', what);
    log.info(message);
    void vscode.window.showWarningMessage(message);
    return { done: false, message };
  };

  const handlers: Record<CommandId, Handler> = {
    'secureMcp.signIn': () => signIn(deps),
    'secureMcp.signOut': async () => {
      await deps.connection.signOut();
      const message = vscode.l10n.t('Signed out of the MCP server. Secure MCP will not use your account until you sign in again; remove the account itself from the Accounts menu.');
      void vscode.window.showInformationMessage(message);
      return { done: true, message };
    },
    'secureMcp.configureServer': arg => configureServer(deps, typeof arg === 'string' ? arg : undefined),
    'secureMcp.setApiKey': notYet(vscode.l10n.t('Setting an LLM API key')),
    'secureMcp.showTools': () => showTools(deps),
    'secureMcp.reconnect': () => withProgress(vscode.l10n.t('Reconnecting to the MCP server…'), async () => {
      const tools = await deps.connection.reconnect();
      return { done: true, message: vscode.l10n.t('Connected: {0} tools.', tools.length) };
    }),
    'secureMcp.diagnose': () => diagnoseCommand(deps),
    'secureMcp.showLog': async () => {
      deps.channel.show(true);
      return { done: true, message: vscode.l10n.t('The Secure MCP log is open.') };
    },
    'secureMcp.showAuditLog': notYet(vscode.l10n.t('The audit log')),
    'secureMcp.resetApprovals': notYet(vscode.l10n.t('Tool approvals'))
  };

  return vscode.Disposable.from(...COMMAND_IDS.map(id => vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await handlers[id](...args);
    } catch (e) {
      log.error(e instanceof Error ? e : String(e));
      if (e instanceof SecureMcpError) {
        return showFailure(e, deps);
      }
      const message = vscode.l10n.t('Secure MCP could not complete the command. See the log for details.');
      void vscode.window.showErrorMessage(message, vscode.l10n.t('Show Log')).then(choice => {
        if (choice) {
          deps.channel.show(true);
        }
      });
      return { done: false, message };
    }
  })));
}

/** Our typed errors carry messages meant for people; each gets the action that fixes it. */
function showFailure(e: SecureMcpError, deps: CommandDeps): CommandResult {
  const actions: [string, string][] = e instanceof AuthRequiredError
    ? [[vscode.l10n.t('Sign In'), 'secureMcp.signIn']]
    : e instanceof ConfigurationError
      ? [[vscode.l10n.t('Configure Server…'), 'secureMcp.configureServer']]
      : [[vscode.l10n.t('Diagnose'), 'secureMcp.diagnose'], [vscode.l10n.t('Show Log'), 'secureMcp.showLog']];
  void vscode.window.showErrorMessage(vscode.l10n.t('Secure MCP: {0}', e.message), ...actions.map(a => a[0])).then(choice => {
    const command = actions.find(a => a[0] === choice)?.[1];
    if (command === 'secureMcp.showLog') {
      deps.channel.show(true);
    } else if (command) {
      void vscode.commands.executeCommand(command);
    }
  });
  return { done: false, message: e.message };
}

function withProgress(title: string, task: () => Promise<CommandResult>): Promise<CommandResult> {
  return Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, task));
}

async function signIn(deps: CommandDeps): Promise<CommandResult> {
  return withProgress(vscode.l10n.t('Signing in to the MCP server…'), async () => {
    await deps.connection.signIn();
    const state = deps.connection.state;
    const account = deps.connection.account?.label;
    const message = state.kind === 'connected'
      ? vscode.l10n.t('Signed in{0} and connected: {1} tools.', account ? ` as ${account}` : '', state.tools)
      : vscode.l10n.t('Signed in.');
    void vscode.window.showInformationMessage(message);
    return { done: true, message };
  });
}

async function showTools(deps: CommandDeps): Promise<CommandResult> {
  const tools = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Listing the server\'s tools…') },
    () => deps.connection.listTools());
  const items = tools.map(t => ({
    label: t.title ?? t.name,
    description: t.name,
    detail: t.description ?? '',
    ...(t.annotations?.destructiveHint ? { iconPath: new vscode.ThemeIcon('warning') } : {})
  }));
  void vscode.window.showQuickPick(items, { title: vscode.l10n.t('Tools offered by {0} (descriptions are claims by the server)', deps.settings.current.settings.serverUrl), matchOnDetail: true });
  return { done: true, message: vscode.l10n.t('{0} tools: {1}', tools.length, tools.map(t => t.name).join(', ')) };
}

async function diagnoseCommand(deps: CommandDeps): Promise<CommandResult> {
  const report = await withProgress(vscode.l10n.t('Diagnosing the connection and sign-in…'), async () => {
    const runtime = loadRuntime();
    const { settings, problems } = deps.settings.current;
    const input: Mutable<DiagnoseInput> = { settings, problems, now: Date.now() };
    if (settings.serverUrl) {
      input.discovery = await runtime.discover(new URL(settings.serverUrl), { fetch: runtime.createSafeFetch(), logger: deps.logger, configuredTenant: settings.auth.tenant });
      const scopes = settings.auth.scopes.length ? settings.auth.scopes : [...input.discovery.proposedScopes];
      try {
        const token = await deps.connection.tokenSource.getToken({ scopes });
        input.token = token
          ? { acquired: true, ...(token.account ? { account: token.account.label } : {}), ...(runtime.decodeClaims(token.token) ? { claims: runtime.decodeClaims(token.token) } : {}) }
          : { acquired: false };
        if (token && settings.auth.scopes.length && !problems.length) {
          try {
            const tools = await deps.connection.reconnect();
            input.connection = { ok: true, tools: tools.length, ...(deps.connection.transport ? { transport: deps.connection.transport } : {}) };
          } catch (e) {
            input.connection = { ok: false, error: e instanceof Error ? e.message : String(e) };
          }
        }
      } catch (e) {
        input.token = { acquired: false, error: e instanceof Error ? e.message : String(e) };
      }
    }
    const findings = runtime.diagnose(input);
    return { done: true, message: runtime.renderReport(input, findings) };
  });
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: report.message });
  await vscode.window.showTextDocument(doc, { preview: false });
  void vscode.commands.executeCommand('markdown.showPreview', doc.uri).then(undefined, () => undefined);
  return report;
}

/**
 * Saves the server URL, then probes it: the Protected Resource Metadata names the
 * authorization server (and with it an Entra tenant) and the scopes, which are saved
 * too. With an argument (tests, walkthrough links) no input box is shown.
 */
async function configureServer(deps: CommandDeps, given: string | undefined): Promise<CommandResult> {
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
  const config = vscode.workspace.getConfiguration(SECTION);
  await config.update('serverUrl', url, vscode.ConfigurationTarget.Global);
  const interactive = given === undefined;
  const runtime = loadRuntime();
  const current = deps.settings.current.settings;
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Probing {0}…', url) },
    () => runtime.discover(new URL(url), { fetch: runtime.createSafeFetch(), logger: deps.logger, configuredTenant: current.auth.tenant }));
  const notes: string[] = [vscode.l10n.t('The MCP server is set to {0}.', url)];
  const errors = result.findings.filter(f => f.level === 'error');
  if (errors.length) {
    notes.push(...errors.map(f => f.fix ? `${f.message} ${f.fix}` : f.message));
    void vscode.window.showWarningMessage(notes.join(' '), vscode.l10n.t('Diagnose')).then(c => c && vscode.commands.executeCommand('secureMcp.diagnose'));
    return { done: true, message: notes.join(' ') };
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
