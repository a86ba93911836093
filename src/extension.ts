import * as path from 'node:path';
import * as vscode from 'vscode';
import { scoped } from './common/log';
import type { ApprovalService } from './vscode/approval';
import { registerCommands } from './vscode/commands/commands';
import { SettingsService } from './vscode/settingsService';
import { ConnectionService } from './vscode/connection/connection';
import type { ElicitationPanels } from './vscode/elicitation/elicitationPanels';
import { loadFeatures, loadRuntime } from './vscode/lazy';
import { createLog } from './vscode/log';
import { OAUTH_PROVIDER_ID, registerOAuthProvider } from './vscode/auth/oauthProvider';
import { registerParticipant } from './vscode/chat/participant';
import { StatusBar } from './vscode/connection/statusBar';

/** What activate() returns; integration tests read it through `extension.exports`. */
export interface SecureMcpApi {
  readonly settings: SettingsService;
  readonly connection: ConnectionService;
  readonly statusBar: StatusBar;
  /** The approval step (created on first use, so activation does not load the webview code). */
  readonly approval: () => ApprovalService;
  readonly elicitation: () => ElicitationPanels;
  readonly runtimeLoaded: () => boolean;
  /** The last lines written to the log channel, as written (masked). */
  readonly recentLog: () => readonly string[];
  /** The @secure-mcp request handler itself, for tests that record what it streams. */
  readonly handleChat: vscode.ChatRequestHandler;
}

/** Wires the pieces together. Nothing here may load the MCP SDK or openai. */
export function activate(context: vscode.ExtensionContext): SecureMcpApi {
  const { channel, logger, recent } = createLog();
  const settings = new SettingsService(logger);
  const version = String(context.extension.packageJSON.version);
  // Test hooks let integration tests drive the real webviews through their message path.
  const testHooks = context.extensionMode === vscode.ExtensionMode.Test;
  let approvalService: ApprovalService | undefined;
  let elicitationPanels: ElicitationPanels | undefined;
  const approval = (): ApprovalService => {
    if (!approvalService) {
      approvalService = new (loadFeatures().ApprovalService)({ context, logger, settings: () => settings.current.settings.approval, testHooks });
      context.subscriptions.push(approvalService);
    }
    return approvalService;
  };
  const elicitation = (): ElicitationPanels => {
    if (!elicitationPanels) {
      elicitationPanels = new (loadFeatures().ElicitationPanels)({ extensionUri: context.extensionUri, logger, testHooks });
      context.subscriptions.push(elicitationPanels);
    }
    return elicitationPanels;
  };
  const oauth = registerOAuthProvider(context, {
    logger,
    loadRuntime,
    getServerUrl: () => settings.current.settings.serverUrl || undefined,
    getClientIdentity: () => {
      const auth = settings.current.settings.auth;
      return {
        ...(auth.clientId ? { clientId: auth.clientId } : {}),
        ...(auth.clientMetadataUrl ? { clientMetadataUrl: auth.clientMetadataUrl } : {}),
        ...(auth.allowLegacyEndpoints ? { legacyEndpointFallback: true } : {})
      };
    }
  });
  const connection = new ConnectionService({
    settings,
    state: context.globalState,
    logger,
    version,
    elicit: (input, signal) => elicitation().elicit(input, signal),
    onSessionEnded: () => approvalService?.policy.endSession(),
    ownProviders: new Map([[OAUTH_PROVIDER_ID, oauth.provider]])
  });
  const statusBar = new StatusBar(connection);
  const participantDeps = { context, settings, connection, gate: () => approval().gate, completed: (id: string, result: { outcome: 'ok' | 'error' | 'cancelled'; resultBytes?: number; error?: unknown }) => approval().audit.completed(id, result), logger };
  context.subscriptions.push(
    channel,
    settings,
    connection,
    statusBar,
    oauth,
    registerCommands({ context, settings, connection, approval, channel, logger }),
    registerParticipant(participantDeps)
  );
  // After activation returns: a silent check, and a connect only when a session exists.
  const timer = setTimeout(() => void connection.connectIfSignedIn(), 0);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  scoped(logger, 'extension').info(`activated ${context.extension.id} ${version}`);
  return {
    settings,
    connection,
    statusBar,
    approval,
    elicitation,
    runtimeLoaded: () => require.cache[path.join(__dirname, 'runtime.js')] !== undefined,
    recentLog: recent,
    handleChat: (request, chatContext, stream, token) => loadFeatures().handleChatRequest(participantDeps, request, chatContext, stream, token)
  };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
