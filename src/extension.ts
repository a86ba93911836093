import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Runtime, RuntimeModule, SecureMcpApi } from './vscode/runtime';

/** What activate() returns, in test builds running in test mode only. */
export interface ActivationExports {
  /** Whether dist/runtime.js was required before activate() returned (it must not be). */
  readonly runtimeLoadedDuringActivation: boolean;
  /** Loads the runtime (if needed) and returns what integration tests drive. */
  readonly api: () => SecureMcpApi;
}

interface Manifest {
  readonly contributes: {
    readonly commands: readonly { readonly command: string }[];
    readonly chatParticipants: readonly { readonly id: string }[];
    readonly authentication: readonly { readonly id: string; readonly label: string }[];
  };
}

/**
 * Registers what package.json contributes, each backed by dist/runtime.js, which is
 * required the first time any of them is used and started right after activation.
 * Nothing else happens here, so activation stays a few milliseconds.
 */
export function activate(context: vscode.ExtensionContext): ActivationExports | undefined {
  const { contributes } = context.extension.packageJSON as Manifest;
  const oauthSessionsChanged = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  let runtime: Runtime | undefined;
  const load = (): Runtime => {
    if (!runtime) {
      // A computed path keeps esbuild from inlining the runtime into this bundle.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const module = require(path.join(__dirname, 'runtime.js')) as RuntimeModule;
      runtime = module.createRuntime(context, { oauthSessionsChanged });
    }
    return runtime;
  };
  const oauthProvider: vscode.AuthenticationProvider = {
    onDidChangeSessions: oauthSessionsChanged.event,
    getSessions: (scopes, options) => load().oauthProvider.getSessions(scopes, options),
    createSession: (scopes, options) => load().oauthProvider.createSession(scopes, options),
    removeSession: sessionId => load().oauthProvider.removeSession(sessionId)
  };
  context.subscriptions.push(
    oauthSessionsChanged,
    ...contributes.commands.map(({ command }) => vscode.commands.registerCommand(command, (...args: unknown[]) => load().runCommand(command, args))),
    ...contributes.authentication.map(({ id, label }) => vscode.authentication.registerAuthenticationProvider(id, label, oauthProvider, { supportsMultipleAccounts: true })),
    ...contributes.chatParticipants.map(({ id }) => {
      const participant = vscode.chat.createChatParticipant(id, (request, chatContext, stream, token) => load().handleChat(request, chatContext, stream, token));
      participant.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
      return participant;
    }),
    { dispose: () => runtime?.dispose() }
  );
  // After activation returns: the status bar and, when signed in, the connection.
  const timer = setTimeout(() => load().start(), 0);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  if (SECURE_MCP_TEST_BUILD && context.extensionMode === vscode.ExtensionMode.Test) {
    return {
      runtimeLoadedDuringActivation: runtime !== undefined,
      api: () => {
        const api = load().testApi;
        if (!api) {
          throw new Error('the test API exists only in test builds running in test mode');
        }
        return api;
      }
    };
  }
  return undefined;
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
