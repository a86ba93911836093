import * as path from 'node:path';
import * as vscode from 'vscode';
import { scoped } from './common/log';
import { registerCommands } from './vscode/commands';
import { SettingsService } from './vscode/config';
import { ConnectionService } from './vscode/connection';
import { createLog } from './vscode/log';
import { registerParticipant } from './vscode/participant';
import { StatusBar } from './vscode/statusBar';

/** What activate() returns; integration tests read it through `extension.exports`. */
export interface SecureMcpApi {
  readonly settings: SettingsService;
  readonly connection: ConnectionService;
  readonly statusBar: StatusBar;
  readonly runtimeLoaded: () => boolean;
  /** The last lines written to the log channel, as written (masked). */
  readonly recentLog: () => readonly string[];
}

/** Wires the pieces together. Nothing here may load the MCP SDK or openai. */
export function activate(context: vscode.ExtensionContext): SecureMcpApi {
  const { channel, logger, recent } = createLog();
  const settings = new SettingsService(logger);
  const version = String(context.extension.packageJSON.version);
  const connection = new ConnectionService({ settings, state: context.globalState, logger, version });
  const statusBar = new StatusBar(connection);
  context.subscriptions.push(
    channel,
    settings,
    connection,
    statusBar,
    registerCommands({ settings, connection, channel, logger }),
    registerParticipant(context, settings, connection, logger)
  );
  // After activation returns: a silent check, and a connect only when a session exists.
  const timer = setTimeout(() => void connection.connectIfSignedIn(), 0);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  scoped(logger, 'extension').info(`activated ${context.extension.id} ${String(context.extension.packageJSON.version)}`);
  return {
    settings,
    connection,
    statusBar,
    runtimeLoaded: () => require.cache[path.join(__dirname, 'runtime.js')] !== undefined,
    recentLog: recent
  };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
