import * as vscode from 'vscode';
import { AuthRequiredError, ConfigurationError, SecureMcpError } from '../../common/errors';
import { scoped } from '../../common/log';
import { withProgress, type CommandDeps, type CommandResult } from './command';
import { COMMAND_IDS, type CommandId } from './ids';
import { configureServer, diagnoseCommand, setApiKey, showTools } from './serverCommands';

type Handler = (...args: unknown[]) => Promise<CommandResult>;

/** Runs one contributed command by id; activation registers the ids package.json contributes. */
export type CommandRunner = (id: string, args: readonly unknown[]) => Promise<CommandResult>;

export function createCommandRunner(deps: CommandDeps): CommandRunner {
  const log = scoped(deps.logger, 'commands');
  const handlers: Record<CommandId, Handler> = {
    'secureMcp.signIn': () => signIn(deps),
    'secureMcp.signOut': async () => {
      await deps.connection.signOut();
      const message = vscode.l10n.t('Signed out of the MCP server. Secure MCP will not use your account until you sign in again; remove the account itself from the Accounts menu.');
      void vscode.window.showInformationMessage(message);
      return { done: true, message };
    },
    'secureMcp.configureServer': arg => configureServer(deps, typeof arg === 'string' ? arg : undefined),
    'secureMcp.setApiKey': arg => setApiKey(deps, arg),
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
    'secureMcp.showAuditLog': () => deps.approval().showAuditLog(),
    'secureMcp.exportAuditLog': arg => deps.approval().exportAuditLog(arg instanceof vscode.Uri ? arg : undefined),
    'secureMcp.resetApprovals': () => deps.approval().resetApprovals()
  };

  return async (id, args) => {
    if (!isCommandId(id)) {
      throw new Error(`no handler for the contributed command ${id}`);
    }
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
  };
}

function isCommandId(id: string): id is CommandId {
  return (COMMAND_IDS as readonly string[]).includes(id);
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
