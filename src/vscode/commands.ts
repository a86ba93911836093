import * as vscode from 'vscode';
import { checkSecureUrl } from '../common/settings';
import { scoped, type Logger } from '../common/log';
import { SECTION, type SettingsService } from './config';

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
  readonly channel: vscode.LogOutputChannel;
  readonly logger: Logger;
}

type Handler = (...args: unknown[]) => Promise<CommandResult>;

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  const log = scoped(deps.logger, 'commands');
  const notYet = (what: string): Handler => async () => {
    const message = vscode.l10n.t('{0} is not available yet in this version of Secure MCP.', what);
    log.info(message);
    void vscode.window.showWarningMessage(message);
    return { done: false, message };
  };

  const handlers: Record<CommandId, Handler> = {
    'secureMcp.signIn': notYet(vscode.l10n.t('Signing in')),
    'secureMcp.signOut': notYet(vscode.l10n.t('Signing out')),
    'secureMcp.configureServer': arg => configureServer(deps, typeof arg === 'string' ? arg : undefined),
    'secureMcp.setApiKey': notYet(vscode.l10n.t('Setting an LLM API key')),
    'secureMcp.showTools': notYet(vscode.l10n.t('Showing the server\'s tools')),
    'secureMcp.reconnect': notYet(vscode.l10n.t('Connecting to the MCP server')),
    'secureMcp.diagnose': notYet(vscode.l10n.t('Diagnosing the connection and sign-in')),
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

/**
 * Saves the server URL. With an argument (tests, walkthrough links) no input box is shown.
 * Discovery of the authorization server and scopes builds on this.
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
  await vscode.workspace.getConfiguration(SECTION).update('serverUrl', url, vscode.ConfigurationTarget.Global);
  return { done: true, message: vscode.l10n.t('The MCP server is set to {0}.', url) };
}
