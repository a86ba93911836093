import * as vscode from 'vscode';
import { describeState } from '../../common/connectionState';
import { ConfigurationError } from '../../common/errors';
import type { Logger } from '../../common/log';
import type { ApprovalService } from '../approval';
import type { ConnectionService } from '../connection/connection';
import type { Connections } from '../connection/connections';
import type { SettingsService } from '../settingsService';
import type { ReadOnlyMarkdown } from './readOnlyMarkdown';

/** What a command did, returned so other commands, the chat participant and tests can act on it. */
export interface CommandResult {
  readonly done: boolean;
  readonly message: string;
  /** The buttons of the error toast, when there was one: the fixes of the error. */
  readonly actions?: readonly string[];
}

export interface CommandDeps {
  readonly context: vscode.ExtensionContext;
  /** Created on first use: no approval panel or audit file is touched before a tool call. */
  readonly approval: () => ApprovalService;
  readonly settings: SettingsService;
  readonly connections: Connections;
  readonly channel: vscode.LogOutputChannel;
  readonly logger: Logger;
  /** Where Diagnose's report goes: one read-only document, replaced by each run. */
  readonly diagnosis: ReadOnlyMarkdown;
  /** Where a tool picked in Show Tools is described. */
  readonly toolDetails: ReadOnlyMarkdown;
}

export function withProgress(title: string, task: () => Promise<CommandResult>): Promise<CommandResult> {
  return Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, task));
}

/**
 * The server a command acts on: the one named by `arg`, the only one, or the one the user
 * picks (undefined when they cancel). A name that matches no server is an error.
 */
export async function targetServer(deps: Pick<CommandDeps, 'connections'>, arg: unknown, purpose: string): Promise<ConnectionService | undefined> {
  const all = deps.connections.all;
  if (typeof arg === 'string' && arg) {
    const named = deps.connections.get(arg);
    if (!named) {
      const message = vscode.l10n.t('There is no MCP server named {0}. The servers: {1}.', arg, all.map(c => c.name || '-').join(', '));
      throw new ConfigurationError(message, [{ key: 'secureMcp.servers', message }]);
    }
    return named;
  }
  if (all.length === 1) {
    return all[0];
  }
  const pick = await vscode.window.showQuickPick(all.map(c => ({ label: c.name, description: c.label, detail: describeState(c.state, vscode.l10n).detail, connection: c })), { title: purpose });
  return pick?.connection;
}
