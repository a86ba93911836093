import * as path from 'node:path';
import * as vscode from 'vscode';
import { scoped } from './common/log';
import { registerCommands } from './vscode/commands';
import { SettingsService } from './vscode/config';
import { createLog } from './vscode/log';
import { registerParticipant } from './vscode/participant';
import { StatusBar } from './vscode/statusBar';

/** What activate() returns; integration tests read it through `extension.exports`. */
export interface SecureMcpApi {
  readonly settings: SettingsService;
  readonly statusBar: StatusBar;
  readonly runtimeLoaded: () => boolean;
}

/** Wires the pieces together. Nothing here may load the MCP SDK or openai. */
export function activate(context: vscode.ExtensionContext): SecureMcpApi {
  const { channel, logger } = createLog();
  const settings = new SettingsService(logger);
  const statusBar = new StatusBar(settings);
  context.subscriptions.push(
    channel,
    settings,
    statusBar,
    registerCommands({ settings, channel, logger }),
    registerParticipant(context, settings, logger)
  );
  scoped(logger, 'extension').info(`activated ${context.extension.id} ${String(context.extension.packageJSON.version)}`);
  return {
    settings,
    statusBar,
    runtimeLoaded: () => require.cache[path.join(__dirname, 'runtime.js')] !== undefined
  };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
