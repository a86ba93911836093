/**
 * The one mapping from a failure to the actions that fix it. A command's error toast and a
 * chat reply's buttons both come from `fixesFor`, so the same error never gets two
 * different fixes (issue 15, item 8); the connection's states use `fixOf` for theirs.
 */
import {
  AuthRequiredError, CancelledError, causeChain, ConfigurationError, DeclinedByUserError, InsufficientScopeError,
  LlmConfigurationError, NotAvailableYetError, NotMcpEndpointError, PolicyBlockedError, SecureMcpError
} from './errors';
import type { L10n } from './l10n';
import { LlmAuthError, LlmCancelledError, LlmContextLengthError, LlmError, LlmRateLimitError, LlmRequestError, LlmServerError, LlmUnavailableError } from './llm/errors';
import { OAuthRefusedError } from './oauth/errors';

export type FixId = 'signIn' | 'configureServer' | 'diagnose' | 'showLog' | 'setApiKey' | 'openSettings' | 'showTools' | 'reconnect' | 'showServers';

/** A button: its title, and the command (with arguments) it runs. */
export interface Fix {
  readonly id: FixId;
  readonly title: string;
  readonly command: string;
  readonly args?: readonly unknown[];
}

/** The button for one fix; `settingsQuery` is what Open Settings searches for. */
export function fixOf(id: FixId, l10n: L10n, settingsQuery = 'secureMcp'): Fix {
  switch (id) {
    case 'signIn':
      return { id, title: l10n.t('Sign In'), command: 'secureMcp.signIn' };
    case 'configureServer':
      return { id, title: l10n.t('Configure Server…'), command: 'secureMcp.configureServer' };
    case 'diagnose':
      return { id, title: l10n.t('Diagnose'), command: 'secureMcp.diagnose' };
    case 'showLog':
      return { id, title: l10n.t('Show Log'), command: 'secureMcp.showLog' };
    case 'setApiKey':
      return { id, title: l10n.t('Set LLM API Key…'), command: 'secureMcp.setApiKey' };
    case 'openSettings':
      return { id, title: l10n.t('Open Settings'), command: 'workbench.action.openSettings', args: [settingsQuery] };
    case 'showTools':
      return { id, title: l10n.t('Show Tools'), command: 'secureMcp.showTools' };
    case 'reconnect':
      return { id, title: l10n.t('Reconnect'), command: 'secureMcp.reconnect' };
    case 'showServers':
      return { id, title: l10n.t('Show Servers'), command: 'secureMcp.showServers' };
  }
}

/** The fixes that act on one server, and take its name as their argument. */
const PER_SERVER: ReadonlySet<FixId> = new Set(['signIn', 'diagnose', 'showTools', 'reconnect']);

/**
 * The fix aimed at one server: with several servers, "Sign In" on server B's failure signs
 * in to B. Fixes that are not about one server are returned as they are.
 */
export function forServer(fix: Fix, server: string): Fix {
  return PER_SERVER.has(fix.id) && server && !fix.args ? { ...fix, args: [server] } : fix;
}

/** Our own error in `e` or down its causes: wrapped by a library, it keeps its meaning. */
export function ownError(e: unknown): SecureMcpError | undefined {
  for (const cause of causeChain(e)) {
    if (cause instanceof SecureMcpError) {
      return cause;
    }
  }
  return undefined;
}

/** The user stopped it, or said no: never reported as anyone's fault, and nothing to fix. */
export function isCancelledByUser(e: unknown): boolean {
  const own = ownError(e);
  return own instanceof CancelledError || own instanceof LlmCancelledError || own instanceof DeclinedByUserError;
}

/** What to tell the user about `e`: our messages are written for people; anything else is not. */
export function errorText(e: unknown, l10n: L10n): string {
  return ownError(e)?.message ?? l10n.t('Secure MCP could not complete the request. See the log for details.');
}

/** The actions that fix `e`, most useful first; none where nothing needs fixing (the user's own cancel). */
export function fixesFor(e: unknown, l10n: L10n): Fix[] {
  const own = ownError(e);
  const fix = (id: FixId, query?: string) => fixOf(id, l10n, query);
  if (!own) {
    return [fix('showLog')];
  }
  // The user's own choices and waits that pass by themselves need no button.
  if (isCancelledByUser(own) || own instanceof NotAvailableYetError || own instanceof LlmRateLimitError || own instanceof LlmServerError || own instanceof LlmContextLengthError) {
    return [];
  }
  if (own instanceof AuthRequiredError || own instanceof InsufficientScopeError) {
    return [fix('signIn')];
  }
  if (own instanceof PolicyBlockedError) {
    // Never a sign-in or a retry: the setting that decided is the only thing to look at.
    return [fix('openSettings', own.setting)];
  }
  if (isNotMcpEndpoint(own)) {
    return [fix('configureServer')];
  }
  if (own instanceof LlmConfigurationError) {
    // Picking a model happens in the chat view's own picker; the settings are where OpenAI or Azure OpenAI is configured instead.
    return [own.fix === 'setApiKey' ? fix('setApiKey') : fix('openSettings', 'secureMcp.llm')];
  }
  if (own instanceof ConfigurationError) {
    const keys = [...new Set(own.problems.map(p => p.key))];
    if (!keys.length || keys.includes('secureMcp.serverUrl')) {
      return [fix('configureServer')];
    }
    return [fix('openSettings', keys.length === 1 ? keys[0] : 'secureMcp')];
  }
  if (own instanceof LlmAuthError) {
    // A refused key, or a refused sign-in (Azure OpenAI with Entra): both are set up there.
    return [fix('setApiKey'), fix('openSettings', 'secureMcp.llm')];
  }
  if (own instanceof LlmUnavailableError || own instanceof LlmRequestError) {
    return [fix('openSettings', 'secureMcp.llm'), fix('showLog')];
  }
  if (own instanceof LlmError) {
    return [fix('showLog')];
  }
  // Unreachable, the identity provider, the protocol: Diagnose finds which, the log has the detail.
  return [fix('diagnose'), fix('showLog')];
}

/** A URL that answers, but not as MCP: from the connection's probe, or from sign-in's discovery. */
export function isNotMcpEndpoint(e: unknown): boolean {
  return e instanceof NotMcpEndpointError || (e instanceof OAuthRefusedError && e.refusal === 'not-mcp-endpoint');
}
