import * as vscode from 'vscode';
import type { Logger } from '../../common/log';
import type { ApprovalService } from '../approval';
import type { ConnectionService } from '../connection/connection';
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
  readonly connection: ConnectionService;
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
