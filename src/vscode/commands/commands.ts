import * as vscode from 'vscode';
import { describeState } from '../../common/connectionState';
import { errorText, fixesFor, isCancelledByUser } from '../../common/fixes';
import { scoped } from '../../common/log';
import { targetServer, withProgress, type CommandDeps, type CommandResult } from './command';
import { COMMAND_IDS, type CommandId } from './ids';
import { addServer, configureServer, removeServer } from './configureCommands';
import { diagnoseCommand, setApiKey, showServers, showTools } from './serverCommands';

type Handler = (...args: unknown[]) => Promise<CommandResult>;

/** Runs one contributed command by id; activation registers the ids package.json contributes. */
export type CommandRunner = (id: string, args: readonly unknown[]) => Promise<CommandResult>;

export function createCommandRunner(deps: CommandDeps): CommandRunner {
  const log = scoped(deps.logger, 'commands');
  const handlers: Record<CommandId, Handler> = {
    'secureMcp.signIn': arg => signIn(deps, arg),
    'secureMcp.signOut': async arg => {
      const connection = await targetServer(deps, arg, vscode.l10n.t('Secure MCP: sign out of which server?'));
      if (!connection) {
        return { done: false, message: vscode.l10n.t('Signing out was cancelled.') };
      }
      await connection.signOut();
      const message = vscode.l10n.t('Signed out of {0}. Secure MCP will not use your account for it until you sign in again; remove the account itself from the Accounts menu.', connection.label || vscode.l10n.t('the MCP server'));
      void vscode.window.showInformationMessage(message);
      return { done: true, message };
    },
    'secureMcp.configureServer': arg => configureServer(deps, typeof arg === 'string' ? arg : undefined),
    'secureMcp.addServer': arg => addServer(deps, arg),
    'secureMcp.removeServer': arg => removeServer(deps, arg),
    'secureMcp.showServers': () => showServers(deps),
    'secureMcp.setApiKey': arg => setApiKey(deps, arg),
    'secureMcp.showTools': arg => showTools(deps, typeof arg === 'string' ? arg : undefined),
    'secureMcp.reconnect': async arg => {
      const connection = await targetServer(deps, arg, vscode.l10n.t('Secure MCP: reconnect to which server?'));
      if (!connection) {
        return { done: false, message: vscode.l10n.t('Reconnecting was cancelled.') };
      }
      return withProgress(vscode.l10n.t('Reconnecting to {0}…', connection.label || vscode.l10n.t('the MCP server')), async () => {
        await connection.reconnect();
        return { done: true, message: describeState(connection.state, vscode.l10n).detail };
      });
    },
    'secureMcp.diagnose': arg => diagnoseCommand(deps, arg),
    'secureMcp.showLog': async () => {
      deps.channel.show(true);
      return { done: true, message: vscode.l10n.t('The Secure MCP log is open.') };
    },
    'secureMcp.showAuditLog': () => deps.approval().showAuditLog(),
    'secureMcp.exportAuditLog': arg => deps.approval().exportAuditLog(arg instanceof vscode.Uri ? arg : undefined),
    'secureMcp.verifyAuditLog': arg => deps.approval().verifyAuditLog(arg instanceof vscode.Uri ? arg : undefined),
    'secureMcp.resetApprovals': () => resetApprovals(deps)
  };

  return async (id, args) => {
    if (!isCommandId(id)) {
      throw new Error(`no handler for the contributed command ${id}`);
    }
    try {
      return await handlers[id](...args);
    } catch (e) {
      if (isCancelledByUser(e)) {
        // The user's own stop: nothing failed, so no error toast.
        const message = errorText(e, vscode.l10n);
        log.info(`${id}: ${message}`);
        return { done: false, message };
      }
      log.error(e instanceof Error ? e : String(e));
      return showFailure(e);
    }
  };
}

function isCommandId(id: string): id is CommandId {
  return (COMMAND_IDS as readonly string[]).includes(id);
}

/** The error toast: what went wrong, and the buttons that fix it, the same ones a chat reply offers. */
function showFailure(e: unknown): CommandResult {
  const message = errorText(e, vscode.l10n);
  const fixes = fixesFor(e, vscode.l10n);
  void vscode.window.showErrorMessage(vscode.l10n.t('Secure MCP: {0}', message), ...fixes.map(f => f.title)).then(choice => {
    const fix = fixes.find(f => f.title === choice);
    if (fix) {
      void vscode.commands.executeCommand(fix.command, ...(fix.args ?? []));
    }
  });
  return { done: false, message, actions: fixes.map(f => f.title) };
}

async function signIn(deps: CommandDeps, arg: unknown): Promise<CommandResult> {
  const connection = await targetServer(deps, arg, vscode.l10n.t('Secure MCP: sign in to which server?'));
  if (!connection) {
    return { done: false, message: vscode.l10n.t('Sign-in was cancelled by you.') };
  }
  return withProgress(vscode.l10n.t('Signing in to {0}…', connection.label || vscode.l10n.t('the MCP server')), async () => {
    await connection.signIn();
    const message = vscode.l10n.t('Signed in. {0}', describeState(connection.state, vscode.l10n).detail);
    void vscode.window.showInformationMessage(message);
    return { done: true, message };
  });
}

/** Says what the reset did: how many approvals of this session it cleared, or that there were none. */
async function resetApprovals(deps: CommandDeps): Promise<CommandResult> {
  const approval = deps.approval();
  const cleared = approval.policy.sessionGrantCount;
  const acrossSessions = deps.settings.current.settings.approval.rememberAcrossSessions;
  await approval.resetApprovals();
  const what = cleared === 0
    ? vscode.l10n.t('There were no tool approvals for this session to clear.')
    : cleared === 1
      ? vscode.l10n.t('Cleared 1 tool approval for this session.')
      : vscode.l10n.t('Cleared {0} tool approvals for this session.', cleared);
  // The allow-list kept across sessions (only with the setting on) is emptied either way.
  const message = acrossSessions
    ? vscode.l10n.t('{0} The tools approved across sessions were forgotten too. Every tool call asks again.', what)
    : cleared === 0 ? vscode.l10n.t('{0} Every tool call asks already.', what) : vscode.l10n.t('{0} Every tool call asks again.', what);
  void vscode.window.showInformationMessage(message);
  return { done: true, message };
}
