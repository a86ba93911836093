import * as vscode from 'vscode';
import type { AccessToken } from '../../common/auth/tokenSource';
import type { AuthFetch } from '../../node/auth/authFetch';
import { restingState, stateAfterFailure, type ConnectionState } from '../../common/connectionState';
import { AuthRequiredError, CancelledError, ConfigurationError, InsufficientScopeError } from '../../common/errors';
import { fixesFor } from '../../common/fixes';
import { mask, maskValue, scoped, type Logger } from '../../common/log';
import { connectionProblems, serverOf, serverView } from '../../common/servers';
import { DEFAULT_SETTINGS, missingRequiredScopes, sessionScopes, type ReadSettingsResult, type ServerSettings, type Settings } from '../../common/settings';
import { signedOutKey, SIGNED_OUT_KEY, VsCodeTokenSource } from '../auth/vscodeTokenSource';
import { ensureReachable, explainFailure } from './reachability';
import type { SettingsService } from '../settingsService';
import { createAuthFetch } from '../../node/auth/authFetch';
import { McpSession, type CallToolResult, type Tool } from '../../node/mcp/session';

export type { ConnectionState } from '../../common/connectionState';

export interface ConnectionDeps {
  readonly settings: SettingsService;
  /**
   * Which server: the name of an entry of `secureMcp.servers`, or '' for the server of the
   * single-server settings (`secureMcp.serverUrl`), whose connection exists even while
   * nothing is configured, to say so.
   */
  readonly slot?: string;
  readonly state: vscode.Memento;
  readonly logger: Logger;
  readonly version: string;
  /** Answers the server's elicitation requests (the webview form); without it none are advertised. */
  readonly elicit?: (input: { serverUrl: string; serverLabel: string; params: unknown }, signal: AbortSignal) => Promise<{ action: 'accept' | 'decline' | 'cancel'; content?: Record<string, string | number | boolean | string[]> }>;
  /** Told when the server changes or the user signs out, so per-session grants end. */
  readonly onSessionEnded?: () => void;
  /** Authentication providers this extension registered (sign-out removes their sessions). */
  readonly ownProviders?: ReadonlyMap<string, vscode.AuthenticationProvider>;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/**
 * Owns the connection to one MCP server: builds the session from that server's settings
 * (and rebuilds it when they change), keeps the state the status bar shows, and turns
 * failures into states with the action that fixes them. `Connections` holds one per server.
 */
export class ConnectionService implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ConnectionState>();
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private readonly log: Logger;
  private readonly tokens: VsCodeTokenSource;
  private session: McpSession | undefined;
  /** The auth middleware of `session`; knows the scopes a pending step-up needs. */
  private authFetch: AuthFetch | undefined;
  private stateValue: ConnectionState;
  private lastToken: AccessToken | undefined;
  private prompting: Thenable<unknown> | undefined;
  /** The provider and scopes `lastToken` was got for, as JSON. */
  private sessionRequest: string;
  /** The server URL the state is about, to tell a new server from other settings changes. */
  private serverUrl: string;
  /** `connectionKey` of the settings the connection was last built for. */
  private settingsKey: string;

  readonly onDidChangeState = this.emitter.event;

  /**
   * Masks credentials in text the server chose, before the chat passes it on: the exact
   * tokens the current auth fetch sent as well as the patterns. One function for the
   * service's life, so what is cached per redactor stays cached across turns.
   */
  readonly redact = (text: string): string => (this.authFetch?.redact ?? mask)(text);

  constructor(private readonly deps: ConnectionDeps) {
    this.log = scoped(deps.logger, deps.slot ? `connection ${deps.slot}` : 'connection');
    const s = this.settings;
    const request = { providerId: s.auth.providerId, scopes: sessionScopes(s) };
    this.sessionRequest = JSON.stringify(request);
    this.serverUrl = s.serverUrl;
    this.tokens = new VsCodeTokenSource(request, deps.state, deps.logger, deps.ownProviders, this.signedOutKey);
    this.stateValue = this.baseState(deps.settings.current);
    this.settingsKey = this.connectionKey(deps.settings.current);
    this.disposables.push(
      this.tokens,
      deps.settings.onDidChange(r => void this.onSettings(r)),
      this.tokens.onDidChange(() => void this.onSessionsChanged())
    );
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The server's settings; undefined for the single-server slot while no server URL is set. */
  get server(): ServerSettings | undefined {
    return serverOf(this.deps.settings.current.settings, this.deps.slot ?? '');
  }

  /** The server's name (the namespace of its tools), or '' while none is configured. */
  get name(): string {
    return this.server?.name ?? '';
  }

  /** The settings as this server sees them: its URL, sign-in and protocol (see `serverView`). */
  get settings(): Settings {
    const current = this.deps.settings.current.settings;
    const server = this.server;
    return server ? serverView(current, server) : { ...current, serverUrl: '', auth: this.deps.slot ? DEFAULT_SETTINGS.auth : current.auth };
  }

  /** How the server is named to the user: its name and host, or the host alone for the single-server settings' server. */
  get label(): string {
    const server = this.server;
    const host = URL.parse(server?.url ?? '')?.host ?? '';
    return server && server.source !== 'secureMcp' ? `${server.name} (${host})` : host;
  }

  private get signedOutKey(): string {
    const server = this.server;
    return server ? signedOutKey(server) : SIGNED_OUT_KEY;
  }

  get account(): AccessToken['account'] | undefined {
    return this.lastToken?.account;
  }

  /** The token in use, for claims in /status and diagnose; never shown itself. */
  get currentToken(): AccessToken | undefined {
    return this.lastToken;
  }

  get tokenSource(): VsCodeTokenSource {
    return this.tokens;
  }

  get transport(): string | undefined {
    return this.session?.transportKind;
  }

  /** The MCP revision in use, while connected. */
  get protocolVersion(): string | undefined {
    return this.session?.connection?.protocolVersion;
  }

  /** Connects (silently) and returns the tools; throws typed errors after updating the state. */
  async listTools(signal?: AbortSignal): Promise<readonly Tool[]> {
    const before = this.stateValue;
    try {
      return await this.connect(signal);
    } catch (e) {
      throw this.fail(await explainFailure(e, this.settings, url => this.deps.settings.blockedBy(url)), before);
    }
  }

  async callTool(name: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<CallToolResult> {
    const session = this.ensureSession();
    const before = this.stateValue;
    try {
      return await session.callTool(name, args, options);
    } catch (e) {
      throw this.fail(e, before);
    }
  }

  /** Interactive sign-in (the command, or the "Sign in again" action), then connect. */
  async signIn(again = false): Promise<void> {
    const s = this.configured();
    const before = this.stateValue;
    try {
      this.setState({ kind: 'signingIn', server: s.serverUrl });
      // A server that cannot be reached, or is not MCP, gets no sign-in: it would fail on
      // the network, and offer "Sign In" again, when the fix is the server or its URL.
      await ensureReachable(s);
      // A step-up the provider could not grant silently is granted here, with the user.
      const token = await this.tokens.signIn(this.authFetch?.signInScopes() ?? s.auth.scopes, again);
      if (!token) {
        throw new CancelledError(vscode.l10n.t('Sign-in was cancelled by you.'));
      }
      this.lastToken = token;
      await this.resetSession();
      await this.connect();
    } catch (e) {
      throw this.fail(e, before);
    }
  }

  async signOut(): Promise<void> {
    this.deps.onSessionEnded?.();
    await this.tokens.signOut();
    this.lastToken = undefined;
    await this.resetSession();
    this.setState(this.baseState(this.deps.settings.current));
  }

  async reconnect(): Promise<readonly Tool[]> {
    this.configured();
    await this.resetSession();
    return this.listTools();
  }

  /**
   * Connects in the background when a session exists already, so the status bar is
   * right after a restart. Never prompts; signed out, it only checks that the server is there.
   */
  async connectIfSignedIn(): Promise<void> {
    if (!needsSession(this.baseState(this.deps.settings.current))) {
      return;
    }
    const s = this.settings;
    const token = this.tokens.signedOut ? undefined : await this.tokens.getToken({ scopes: s.auth.scopes });
    if (!token) {
      // Signed out: still say so when the server is not there, rather than offer a sign-in that cannot work.
      const before = this.stateValue;
      await ensureReachable(s).catch(e => { this.fail(e, before); });
      return;
    }
    await this.listTools().catch(e => this.log.info(`background connect: ${e instanceof Error ? e.message : String(e)}`));
  }

  /**
   * Diagnose's check without a session: whether the server is there and speaks MCP. A
   * server that is back clears "unreachable" (or "not MCP"); nothing else changes.
   */
  async checkServer(): Promise<void> {
    const s = this.settings;
    const before = this.stateValue;
    if (!s.serverUrl) {
      return;
    }
    const blocked = this.deps.settings.blockedBy(s.serverUrl);
    if (blocked) {
      this.fail(blocked, before);
      return;
    }
    try {
      await ensureReachable(s);
      if (before.kind === 'unreachable' || before.kind === 'notMcp') {
        this.setState(this.baseState(this.deps.settings.current));
      }
    } catch (e) {
      this.fail(e, before);
    }
  }

  /** Lists the tools, and with that connects; the state says how far it got. */
  private async connect(signal?: AbortSignal): Promise<readonly Tool[]> {
    const session = this.ensureSession();
    const server = this.settings.serverUrl;
    if (this.stateValue.kind !== 'connected') {
      this.setState({ kind: 'connecting', server });
    }
    const tools = await session.listTools(signal);
    const protocol = session.connection?.protocolVersion;
    const account = this.lastToken?.account?.label;
    this.setState({ kind: 'connected', server, tools: tools.length, ...(account ? { account } : {}), ...(protocol ? { protocol } : {}), ...(session.transportKind ? { transport: session.transportKind } : {}) });
    return tools;
  }

  private configured(): Settings {
    const current = this.deps.settings.current;
    const problems = connectionProblems(current, this.server);
    if (problems.length) {
      throw new ConfigurationError(vscode.l10n.t('Fix the Secure MCP settings first: {0}', problems.map(p => `${p.key} ${p.message}`).join('; ')), problems);
    }
    const s = this.settings;
    if (!s.serverUrl) {
      throw new ConfigurationError(vscode.l10n.t('No MCP server is configured. Run "Secure MCP: Configure Server…" first.'));
    }
    // Organisation policy first (docs/security.md E10): no probe, no sign-in, no MCP request.
    const blocked = this.deps.settings.blockedBy(s.serverUrl);
    if (blocked) {
      throw blocked;
    }
    if (missingRequiredScopes(s)) {
      throw new ConfigurationError(vscode.l10n.t('No scope is configured for the server. Run "Secure MCP: Configure Server…" or set {0}.auth.scopes.', this.server?.source ?? 'secureMcp'));
    }
    return s;
  }

  private ensureSession(): McpSession {
    const s = this.configured();
    if (this.session) {
      return this.session;
    }
    const serverUrl = new URL(s.serverUrl);
    const fetch = this.authFetch = createAuthFetch({
      serverUrl,
      tokens: this.tokens,
      scopes: s.auth.scopes,
      allowedScopes: s.auth.scopes,
      stepUpWithinApi: true,
      logger: this.deps.logger,
      onToken: t => { this.lastToken = t; },
      onAuthRequired: e => this.offerSignIn(e)
    });
    this.session = new McpSession({
      serverUrl,
      fetch,
      logger: this.deps.logger,
      clientInfo: { name: 'secure-mcp-vscode', version: this.deps.version },
      protocol: s.protocol.version,
      connectTimeoutMs: s.timeouts.connectSeconds * 1000,
      callTimeoutMs: s.timeouts.toolCallSeconds * 1000,
      callMaxTimeoutMs: s.timeouts.toolCallMaxSeconds * 1000,
      maxResultBytes: s.limits.maxResultBytes,
      maxListBytes: s.limits.maxListBytes,
      maxTools: s.limits.maxTools,
      // The form's message and schema, and a URL, are the server's words: masked like a result (A2).
      ...(this.deps.elicit ? { elicitation: (params, signal) => this.deps.elicit!({ serverUrl: s.serverUrl, serverLabel: this.label, params: maskValue(params, fetch.redact) }, signal) } : {}),
      onToolsChanged: tools => {
        if (this.stateValue.kind === 'connected') {
          this.setState({ ...this.stateValue, tools: tools.length });
        }
      },
      onStateChange: state => {
        if (state === 'disconnected' && this.stateValue.kind === 'connected') {
          this.setState({ kind: 'connecting', server: s.serverUrl });
        }
      }
    });
    return this.session;
  }

  /**
   * The state after a failure of an attempt that began in `before` (the user's own cancel
   * puts that state back); returns the error for the caller.
   */
  private fail(e: unknown, before: ConnectionState): Error {
    this.setState(stateAfterFailure(e, before, this.settings.serverUrl, vscode.l10n));
    return e instanceof Error ? e : new Error(String(e));
  }

  /** One visible "Sign in again" offer at a time, never a surprise dialog. */
  private offerSignIn(e: AuthRequiredError | InsufficientScopeError): void {
    if (this.prompting || this.tokens.signedOut) {
      return;
    }
    // The button the same error gets everywhere; a click here also asks for a new session.
    const signIn = fixesFor(e, vscode.l10n)[0]?.title ?? vscode.l10n.t('Sign In');
    // An entry of secureMcp.servers is named, so the user knows which server wants the sign-in.
    const server = this.server;
    const message = server && server.source !== 'secureMcp' ? vscode.l10n.t('Secure MCP ({0}): {1}', this.label, e.message) : vscode.l10n.t('Secure MCP: {0}', e.message);
    this.prompting = vscode.window.showWarningMessage(message, signIn).then(choice => {
      this.prompting = undefined;
      if (choice === signIn) {
        // A rejected token needs a new session; a step-up needs one with more scopes.
        void this.signIn(!(e instanceof InsufficientScopeError)).catch(err => this.log.warn(`sign-in: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  }

  /**
   * What this server's connection depends on: its URL, sign-in and protocol, the shared
   * timeouts and limits, its settings problems and the policy's word on it. A change to
   * anything else (another server, the language model, approvals) leaves it alone.
   */
  private connectionKey(r: ReadSettingsResult): string {
    const s = this.settings;
    const problems = connectionProblems(r, this.server).map(p => `${p.key} ${p.message}`);
    return JSON.stringify([s.serverUrl, s.auth, s.protocol, s.timeouts, s.limits, problems, s.serverUrl ? this.deps.settings.policyFor(s.serverUrl) : undefined]);
  }

  private async onSettings(r: ReadSettingsResult): Promise<void> {
    const key = this.connectionKey(r);
    if (key === this.settingsKey) {
      return;
    }
    this.settingsKey = key;
    const s = this.settings;
    const request = { providerId: s.auth.providerId, scopes: sessionScopes(s) };
    if (JSON.stringify(request) !== this.sessionRequest) {
      // Another provider or other scopes: the token in hand says nothing about being signed in to them.
      this.sessionRequest = JSON.stringify(request);
      this.lastToken = undefined;
    }
    this.tokens.update(request, this.signedOutKey);
    // An attempt under way counts as connected: it is made again with the new settings.
    const wasConnected = this.stateValue.kind === 'connected' || this.stateValue.kind === 'connecting';
    const wasBlocked = this.stateValue.kind === 'blockedByPolicy';
    const serverChanged = s.serverUrl !== this.serverUrl;
    this.serverUrl = s.serverUrl;
    this.deps.onSessionEnded?.();
    await this.resetSession();
    this.setState(this.baseState(r));
    // A new server, or one the policy no longer blocks, is checked at once, so the status bar says if it is down or not MCP.
    if ((wasConnected || serverChanged || wasBlocked) && needsSession(this.stateValue)) {
      await this.connectIfSignedIn();
    }
  }

  private async onSessionsChanged(): Promise<void> {
    const token = await this.tokens.getToken({ scopes: this.settings.auth.scopes });
    if (!token && this.session) {
      // Signed out elsewhere (Accounts menu): disconnect cleanly.
      this.log.info('the session went away; disconnecting');
      this.lastToken = undefined;
      await this.resetSession();
      this.setState(this.baseState(this.deps.settings.current));
    } else if (token && this.lastToken && token.token !== this.lastToken.token) {
      // Another sign-in, a refresh or a different account: requests must not go on with
      // the token in hand (the server binds its session to the user, so a new account
      // gets a new MCP session on its own).
      this.lastToken = token;
      this.authFetch?.forgetToken();
    }
  }

  private async resetSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.authFetch = undefined;
    await session?.close();
  }

  private baseState(r: ReadSettingsResult): ConnectionState {
    const serverUrl = this.settings.serverUrl;
    const signedIn = this.lastToken && !this.tokens.signedOut ? { account: this.lastToken.account?.label } : undefined;
    return restingState({ problems: connectionProblems(r, this.server).length, serverUrl, blocked: serverUrl ? this.deps.settings.blockedBy(serverUrl) : undefined, signedIn }, vscode.l10n);
  }

  private setState(state: ConnectionState): void {
    this.stateValue = state;
    this.emitter.fire(state);
  }

  dispose(): void {
    void this.resetSession();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/** A state a background connect may improve on: nothing failed, there is just no connection yet. */
function needsSession(state: ConnectionState): boolean {
  return state.kind === 'signedOut' || state.kind === 'notConnected';
}
