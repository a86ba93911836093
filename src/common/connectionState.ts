/**
 * The connection's state, one model for everything that shows it: the status bar, chat
 * replies and /status, the commands and Diagnose. What each state says and the action
 * that helps live here, so they cannot disagree.
 */
import { AuthRequiredError, InsufficientScopeError, PolicyBlockedError, ServerUnreachableError } from './errors';
import { errorText, fixesFor, fixOf, forServer, isCancelledByUser, isNotMcpEndpoint, ownError, type Fix, type FixId } from './fixes';
import { plainL10n, type L10n } from './l10n';

export type ConnectionState =
  | { readonly kind: 'notConfigured' }
  | { readonly kind: 'settingsProblem'; readonly count: number }
  /**
   * The organisation's MCP policy excludes the server, so it is never contacted. `reason`
   * names the setting; `setting` is what the action opens; `managed`: an administrator set it.
   */
  | { readonly kind: 'blockedByPolicy'; readonly server: string; readonly reason: string; readonly setting: string; readonly managed: boolean }
  /** Nothing answers at the server's URL (refused, not found, timed out). */
  | { readonly kind: 'unreachable'; readonly server: string; readonly message: string }
  /** Something answers, but not as an MCP endpoint (HTTP 404). */
  | { readonly kind: 'notMcp'; readonly server: string; readonly message: string }
  | { readonly kind: 'signedOut'; readonly server: string; readonly reason?: string }
  | { readonly kind: 'signingIn'; readonly server: string }
  /** A session exists, and the connection is made with the first request. */
  | { readonly kind: 'notConnected'; readonly server: string; readonly account?: string }
  | { readonly kind: 'connecting'; readonly server: string }
  | { readonly kind: 'connected'; readonly server: string; readonly tools: number; readonly account?: string; readonly protocol?: string; readonly transport?: string }
  /** `cause` is the error's class (its name), `fix` the action that helps. */
  | { readonly kind: 'error'; readonly server: string; readonly message: string; readonly cause: string; readonly fix: FixId };

export type StateTone = 'normal' | 'busy' | 'warning' | 'error';

/** A state in words: the status bar's text and tooltip, the sentence chat and /status use, and the action. */
export interface StateView {
  /** A codicon, `$(name)`. */
  readonly icon: string;
  /** The status bar's text, "MCP: …". */
  readonly text: string;
  /** One or two sentences: what is the case. Chat replies, /status and Diagnose say this. */
  readonly detail: string;
  /** `Secure MCP: <detail> <what a click does>` */
  readonly tooltip: string;
  readonly tone: StateTone;
  /** What a click on the status bar runs, and the button a reply offers. */
  readonly fix: Fix;
  /** Something stands between the user and the tools: /status offers `fix` as a button. */
  readonly needsAction: boolean;
}

/**
 * The state after `e` ended an attempt that began in `before`. The user's own cancel is
 * never a fault: the state goes back to what it was before the attempt.
 */
export function stateAfterFailure(e: unknown, before: ConnectionState, server: string, l10n: L10n = plainL10n): ConnectionState {
  if (isCancelledByUser(e)) {
    return before;
  }
  const own = ownError(e);
  if (own instanceof InsufficientScopeError && before.kind === 'connected') {
    // One tool needs more consent: the connection and the other tools still work.
    return before;
  }
  if (own instanceof PolicyBlockedError) {
    return { kind: 'blockedByPolicy', server: own.server, reason: own.message, setting: own.setting, managed: own.managed };
  }
  if (own instanceof AuthRequiredError) {
    return { kind: 'signedOut', server, reason: own.message };
  }
  if (own && isNotMcpEndpoint(own)) {
    return { kind: 'notMcp', server, message: own.message };
  }
  if (own instanceof ServerUnreachableError) {
    return { kind: 'unreachable', server, message: own.message };
  }
  const cause = (own ?? (e instanceof Error ? e : undefined))?.name ?? 'Error';
  return { kind: 'error', server, message: errorText(e, l10n), cause, fix: fixesFor(e, l10n)[0]?.id ?? 'diagnose' };
}

/** Ends `text` as a sentence, so another can follow. */
function sentence(text: string): string {
  const t = text.trim();
  return /[.!?…]$/.test(t) ? t : `${t}.`;
}

function clickHint(fix: FixId, l10n: L10n): string {
  switch (fix) {
    case 'signIn': return l10n.t('Click to sign in.');
    case 'configureServer': return l10n.t('Click to set the server URL.');
    case 'diagnose': return l10n.t('Click to diagnose.');
    case 'showLog': return l10n.t('Click to open the log.');
    case 'setApiKey': return l10n.t('Click to set the API key.');
    case 'openSettings': return l10n.t('Click to open the settings.');
    case 'showTools': return l10n.t('Click to show the tools.');
    case 'reconnect': return l10n.t('Click to connect.');
    case 'showServers': return l10n.t('Click to see each server.');
  }
}

/** `state` in words, translated through `l10n`. */
export function describeState(state: ConnectionState, l10n: L10n): StateView {
  const make = (icon: string, text: string, detail: string, fix: FixId, tone: StateTone = 'normal', query?: string, hint?: string): StateView => ({
    icon, text, detail: sentence(detail), tone, fix: fixOf(fix, l10n, query),
    needsAction: !['connected', 'connecting', 'signingIn', 'notConnected'].includes(state.kind),
    tooltip: l10n.t('Secure MCP: {0} {1}', sentence(detail), hint ?? clickHint(fix, l10n))
  });
  switch (state.kind) {
    case 'notConfigured':
      return make('$(shield)', l10n.t('MCP: not configured'), l10n.t('No MCP server is configured.'), 'configureServer');
    case 'settingsProblem':
      return make('$(warning)', l10n.t('MCP: check settings'), l10n.t('{0} setting(s) need attention.', state.count), 'openSettings', 'warning');
    case 'blockedByPolicy':
      return make('$(circle-slash)', l10n.t('MCP: blocked by policy'), l10n.t('{0} Secure MCP does not contact {1}.', sentence(state.reason), state.server), 'openSettings', 'warning', state.setting,
        l10n.t('Click to see {0}.', state.setting));
    case 'unreachable':
      return make('$(debug-disconnect)', l10n.t('MCP: unreachable'), state.message, 'diagnose', 'error');
    case 'notMcp':
      return make('$(error)', l10n.t('MCP: not an MCP endpoint'), state.message, 'configureServer', 'error', undefined, l10n.t('Click to change the server URL.'));
    case 'signedOut':
      return make('$(shield)', l10n.t('MCP: signed out'), state.reason
        ? l10n.t('Signed out of {0}: {1}', state.server, state.reason)
        : l10n.t('Not signed in to {0}.', state.server), 'signIn');
    case 'signingIn':
      return make('$(sync~spin)', l10n.t('MCP: signing in…'), l10n.t('Signing in to {0}…', state.server), 'showLog', 'busy');
    case 'notConnected':
      return make('$(shield)', l10n.t('MCP: not connected'), state.account
        ? l10n.t('Signed in as {0}; not connected to {1} yet (it connects with the first request).', state.account, state.server)
        : l10n.t('Signed in; not connected to {0} yet (it connects with the first request).', state.server), 'reconnect');
    case 'connecting':
      return make('$(sync~spin)', l10n.t('MCP: connecting'), l10n.t('Connecting to {0}…', state.server), 'showLog', 'busy');
    case 'connected':
      return make('$(shield)', state.tools === 1 ? l10n.t('MCP: 1 tool') : l10n.t('MCP: {0} tools', state.tools), connectedDetail(state, l10n), 'showTools');
    case 'error':
      return make('$(error)', l10n.t('MCP: error'), state.message, state.fix, 'error');
  }
}

function connectedDetail(s: Extract<ConnectionState, { kind: 'connected' }>, l10n: L10n): string {
  const who = s.account ? l10n.t('Connected to {0} as {1}', s.server, s.account) : l10n.t('Connected to {0}', s.server);
  const tools = s.tools === 1 ? l10n.t('1 tool') : l10n.t('{0} tools', s.tools);
  const protocol = s.protocol ? (s.transport ? l10n.t('MCP {0} over {1}', s.protocol, s.transport) : l10n.t('MCP {0}', s.protocol)) : undefined;
  return protocol ? l10n.t('{0}: {1}, {2}.', who, tools, protocol) : l10n.t('{0}: {1}.', who, tools);
}

/**
 * A server's state when no attempt is running: what its settings, the organisation's
 * policy and a session in hand say. Problems come first: an invalid server URL falls back
 * to '' and must not read as "not configured"; a session in hand is not "signed out" (the
 * first request connects with it).
 */
export function restingState(input: { problems: number; serverUrl: string; blocked?: Error | undefined; signedIn?: { account?: string | undefined } | undefined }, l10n: L10n = plainL10n): ConnectionState {
  const server = input.serverUrl;
  if (input.problems) {
    return { kind: 'settingsProblem', count: input.problems };
  }
  if (!server) {
    return { kind: 'notConfigured' };
  }
  if (input.blocked) {
    return stateAfterFailure(input.blocked, { kind: 'notConfigured' }, server, l10n);
  }
  if (input.signedIn) {
    const account = input.signedIn.account;
    return { kind: 'notConnected', server, ...(account ? { account } : {}) };
  }
  return { kind: 'signedOut', server };
}

/** One server's state, as the list of servers shows it. */
export interface ServerStateView {
  /** The server's name ('' while nothing is configured). */
  readonly name: string;
  /** Its name and host. */
  readonly label: string;
  readonly state: ConnectionState;
  /** The state in words; its fix is aimed at this server. */
  readonly view: StateView;
}

export interface ServerStateSummary {
  readonly servers: readonly ServerStateView[];
  /** What the status bar shows: the one server's own view, or all servers at once. */
  readonly view: StateView;
}

const TONE_RANK: Record<StateTone, number> = { normal: 0, busy: 1, warning: 2, error: 3 };

/**
 * The state of every server in one status: with one server, exactly its own (the
 * single-server product is unchanged); with several, how many are connected, their tools,
 * and the most serious state among them, and a click lists them all.
 */
export function summarizeServers(servers: readonly { name: string; label: string; state: ConnectionState }[], l10n: L10n = plainL10n): ServerStateSummary {
  const views = servers.map(s => {
    const view = describeState(s.state, l10n);
    return { ...s, view: { ...view, fix: forServer(view.fix, s.name) } };
  });
  if (views.length <= 1) {
    return { servers: views, view: views[0]?.view ?? describeState({ kind: 'notConfigured' }, l10n) };
  }
  const connected = views.filter(v => v.state.kind === 'connected');
  const tools = connected.reduce((n, v) => n + (v.state.kind === 'connected' ? v.state.tools : 0), 0);
  const worst = views.reduce((a, b) => TONE_RANK[b.view.tone] > TONE_RANK[a.view.tone] ? b : a);
  const lines = views.map(v => l10n.t('{0}: {1}', v.name, v.view.detail));
  const detail = l10n.t('{0} of {1} servers connected, {2} tools. {3}', connected.length, views.length, tools, lines.join(' '));
  return {
    servers: views,
    view: {
      icon: worst.view.tone === 'normal' ? '$(shield)' : worst.view.icon,
      text: l10n.t('MCP: {0}/{1} servers · {2} tools', connected.length, views.length, tools),
      detail,
      tooltip: l10n.t('Secure MCP: {0} {1}', detail, clickHint('showServers', l10n)),
      tone: worst.view.tone,
      fix: fixOf('showServers', l10n),
      needsAction: views.some(v => v.view.needsAction)
    }
  };
}
