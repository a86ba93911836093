import * as vscode from 'vscode';
import * as errors from '../common/errors';
import { sameServerUrl } from '../common/settings';
import { scoped } from '../common/log';
import { ApprovalService } from './approval';
import { OAUTH_PROVIDER_ID, SecureMcpOAuthProvider } from './auth/oauthProvider';
import { handleChatRequest } from './chat/handler';
import type { ParticipantDeps } from './chat/participant';
import { createCommandRunner, type CommandRunner } from './commands/commands';
import { DIAGNOSE_SCHEME, ReadOnlyMarkdown, TOOL_SCHEME } from './commands/readOnlyMarkdown';
import type { ConnectionService } from './connection/connection';
import { Connections } from './connection/connections';
import { StatusBar } from './connection/statusBar';
import { ElicitationPanels } from './elicitation/elicitationPanels';
import { createLog } from './log';
import { SettingsService } from './settingsService';
import { WalkthroughContext } from './walkthrough/contextKeys';

/**
 * The entry of dist/runtime.js, the one module activation loads lazily. Everything but
 * registering the contributions lives behind it: settings, the connection and the MCP
 * SDK, the chat handler and openai, the approval and elicitation panels, the commands.
 */
export interface Runtime extends vscode.Disposable {
  /** Connects in the background when a session exists already; never prompts. */
  start(): void;
  readonly runCommand: CommandRunner;
  readonly handleChat: vscode.ChatRequestHandler;
  readonly oauthProvider: vscode.AuthenticationProvider;
  /** Only in a test build running in test mode (integration tests); undefined otherwise. */
  readonly testApi: SecureMcpApi | undefined;
}

/** What activation hands the runtime: the context, and the emitters it registered with. */
export interface ActivationHandles {
  /** The emitter behind the OAuth provider VS Code already knows (registered at activation). */
  readonly oauthSessionsChanged: vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>;
}

/** The shape of dist/runtime.js, for the one `require` in src/extension.ts. */
export interface RuntimeModule {
  createRuntime(context: vscode.ExtensionContext, handles: ActivationHandles): Runtime;
}

/** What integration tests read; exists only in test builds (see esbuild.mjs). */
export interface SecureMcpApi {
  readonly settings: SettingsService;
  /** The first server's connection (the only one with the single-server settings). */
  readonly connection: ConnectionService;
  readonly connections: Connections;
  readonly statusBar: StatusBar;
  readonly approval: () => ApprovalService;
  readonly elicitation: () => ElicitationPanels;
  /** The last lines written to the log channel, as written (masked). */
  readonly recentLog: () => readonly string[];
  /** The @secure-mcp request handler itself, for tests that record what it streams. */
  readonly handleChat: vscode.ChatRequestHandler;
  /** The error classes this bundle throws; a test bundle's own copies are other classes. */
  readonly errors: typeof errors;
}

export function createRuntime(context: vscode.ExtensionContext, handles: ActivationHandles): Runtime {
  const { channel, logger, recent } = createLog();
  const settings = new SettingsService(logger);
  const version = String(context.extension.packageJSON.version);
  const testMode = context.extensionMode === vscode.ExtensionMode.Test;
  const disposables: vscode.Disposable[] = [];
  let approvalService: ApprovalService | undefined;
  let elicitationPanels: ElicitationPanels | undefined;
  // Created on first use: no panel, pin store or audit file is touched before a tool call.
  const approval = (): ApprovalService => {
    approvalService ??= new ApprovalService({ context, logger, settings: () => settings.current.settings.approval, auditFolder: () => settings.current.settings.audit.folder, onDecided: (call, decision) => walkthrough.decided(call, decision), testHooks: SECURE_MCP_TEST_BUILD && testMode });
    return approvalService;
  };
  const elicitation = (): ElicitationPanels => {
    elicitationPanels ??= new ElicitationPanels({ extensionUri: context.extensionUri, logger, testHooks: SECURE_MCP_TEST_BUILD && testMode });
    return elicitationPanels;
  };
  const oauthProvider = new SecureMcpOAuthProvider(context.secrets, {
    logger,
    sessionsChanged: handles.oauthSessionsChanged,
    getServerUrl: () => settings.current.settings.servers[0]?.url,
    blockedBy: url => settings.blockedBy(url),
    getClientIdentity: serverUrl => {
      const auth = settings.current.settings.servers.find(s => sameServerUrl(s.url, serverUrl))?.auth ?? settings.current.settings.auth;
      return {
        ...(auth.clientId ? { clientId: auth.clientId } : {}),
        ...(auth.clientMetadataUrl ? { clientMetadataUrl: auth.clientMetadataUrl } : {}),
        ...(auth.allowLegacyEndpoints ? { legacyEndpointFallback: true } : {})
      };
    }
  });
  const connections = new Connections({
    settings,
    state: context.globalState,
    logger,
    version,
    elicit: (input, signal) => elicitation().elicit(input, signal),
    onSessionEnded: () => approvalService?.policy.endSession(),
    ownProviders: new Map([[OAUTH_PROVIDER_ID, oauthProvider]])
  });
  const statusBar = new StatusBar(connections);
  const walkthrough = new WalkthroughContext({ settings, connections });
  const diagnosis = new ReadOnlyMarkdown(DIAGNOSE_SCHEME, logger);
  const toolDetails = new ReadOnlyMarkdown(TOOL_SCHEME, logger);
  const participant: ParticipantDeps = {
    context,
    settings,
    connections,
    gate: () => approval().gate,
    completed: (id, result) => approval().audit.completed(id, result),
    onApprovalShown: listener => approval().panels.onDidRender(listener),
    logger
  };
  const handleChat: vscode.ChatRequestHandler = (request, chatContext, stream, token) => handleChatRequest(participant, request, chatContext, stream, token);
  disposables.push(channel, settings, connections, statusBar, walkthrough, oauthProvider, diagnosis, toolDetails);
  scoped(logger, 'extension').info(`runtime loaded for ${context.extension.id} ${version}`);
  return {
    start: () => connections.start(),
    runCommand: createCommandRunner({ context, settings, connections, approval, channel, logger, diagnosis, toolDetails }),
    handleChat,
    oauthProvider,
    // Written out here so the production build drops the whole object (esbuild folds the flag).
    testApi: SECURE_MCP_TEST_BUILD && testMode
      ? {
          settings,
          get connection() {
            return connections.primary;
          },
          connections,
          statusBar,
          approval,
          elicitation,
          recentLog: recent,
          handleChat,
          errors
        }
      : undefined,
    dispose: () => {
      elicitationPanels?.dispose();
      approvalService?.dispose();
      vscode.Disposable.from(...disposables.reverse()).dispose();
    }
  };
}
