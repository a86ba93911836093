import * as vscode from 'vscode';
import type { AccessToken } from '../../common/auth/tokenSource';
import type { AuthFetch } from '../../node/auth/authFetch';
import { probeServer } from '../../node/discovery/probe';
import { isNetworkFailure } from '../../node/mcp/errors';
import { AuthRequiredError, CancelledError, systemErrorCode, ConfigurationError, InsufficientScopeError, SecureMcpError, ServerUnreachableError } from '../../common/errors';
import { mask, maskValue, scoped, type Logger } from '../../common/log';
import { missingRequiredScopes, sessionScopes, type ReadSettingsResult, type Settings } from '../../common/settings';
import { VsCodeTokenSource } from '../auth/vscodeTokenSource';
import type { SettingsService } from '../settingsService';
import { createAuthFetch } from '../../node/auth/authFetch';
import { McpSession, type CallToolResult, type Tool } from '../../node/mcp/session';

export type ConnectionState =
  | { readonly kind: 'notConfigured' }
  | { readonly kind: 'settingsProblem'; readonly count: number }
  | { readonly kind: 'signedOut'; readonly server: string; readonly reason?: string }
  | { readonly kind: 'connecting'; readonly server: string }
  | { readonly kind: 'connected'; readonly server: string; readonly tools: number; readonly account?: string; readonly protocol?: string }
  | { readonly kind: 'error'; readonly server: string; readonly message: string };

export interface ConnectionDeps {
  readonly settings: SettingsService;
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
 * Owns the one MCP connection: builds the session from settings (and rebuilds it when
 * they change), keeps the state the status bar shows, and turns failures into states
 * with the action that fixes them.
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

  readonly onDidChangeState = this.emitter.event;

  /**
   * Masks credentials in text the server chose, before the chat passes it on: the exact
   * tokens the current auth fetch sent as well as the patterns. One function for the
   * service's life, so what is cached per redactor stays cached across turns.
   */
  readonly redact = (text: string): string => (this.authFetch?.redact ?? mask)(text);

  constructor(private readonly deps: ConnectionDeps) {
    this.log = scoped(deps.logger, 'connection');
    const s = deps.settings.current.settings;
    this.tokens = new VsCodeTokenSource({ providerId: s.auth.providerId, scopes: sessionScopes(s) }, deps.state, deps.logger, deps.ownProviders);
    this.stateValue = this.baseState(deps.settings.current);
    this.disposables.push(
      this.tokens,
      deps.settings.onDidChange(r => void this.onSettings(r)),
      this.tokens.onDidChange(() => void this.onSessionsChanged())
    );
  }

  get state(): ConnectionState {
    return this.stateValue;
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
    const session = this.ensureSession();
    const server = this.settings.serverUrl;
    if (this.stateValue.kind !== 'connected') {
      this.setState({ kind: 'connecting', server });
    }
    try {
      const tools = await session.listTools(signal);
      const protocol = session.connection?.protocolVersion;
      this.setState({ kind: 'connected', server, tools: tools.length, ...(this.lastToken?.account ? { account: this.lastToken.account.label } : {}), ...(protocol ? { protocol } : {}) });
      return tools;
    } catch (e) {
      throw this.fail(e);
    }
  }

  async callTool(name: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<CallToolResult> {
    const session = this.ensureSession();
    try {
      return await session.callTool(name, args, options);
    } catch (e) {
      throw this.fail(e);
    }
  }

  /** Interactive sign-in (the command, or the "Sign in again" action), then connect. */
  async signIn(again = false): Promise<void> {
    const s = this.configured();
    // A server that cannot be reached gets no sign-in: it would fail on the network, and
    // offer "Sign In" again, when the fix is the server or its URL.
    await this.ensureReachable(s).catch(e => { throw this.fail(e); });
    // A step-up the provider could not grant silently is granted here, with the user.
    const token = await this.tokens.signIn(this.authFetch?.signInScopes() ?? s.auth.scopes, again);
    if (!token) {
      throw new AuthRequiredError(vscode.l10n.t('Sign-in was cancelled.'));
    }
    this.lastToken = token;
    await this.resetSession();
    await this.listTools();
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
   * right after a restart. Never prompts; does nothing when signed out.
   */
  async connectIfSignedIn(): Promise<void> {
    const s = this.deps.settings.current;
    if (this.baseState(s).kind !== 'signedOut' || this.tokens.signedOut) {
      return;
    }
    const token = await this.tokens.getToken({ scopes: s.settings.auth.scopes });
    if (!token) {
      // Signed out: still say so when the server is not there, rather than offer a sign-in that cannot work.
      await this.ensureReachable(s.settings).catch(e => { this.fail(e); });
      return;
    }
    await this.listTools().catch(e => this.log.info(`background connect: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** One unauthenticated request to the server: a network failure is ServerUnreachableError; any HTTP answer will do. */
  private async ensureReachable(s: Settings): Promise<void> {
    const url = new URL(s.serverUrl);
    try {
      await probeServer((input, init) => fetch(input, init), url, AbortSignal.timeout(s.timeouts.connectSeconds * 1000));
    } catch (e) {
      if (isNetworkFailure(e) || (e instanceof Error && e.name === 'TimeoutError')) {
        throw new ServerUnreachableError(vscode.l10n.t('Cannot reach the MCP server at {0} ({1}). Check that it is running and the URL is right, then reconnect.', url.href, systemErrorCode(e) ?? (e instanceof Error ? e.message : String(e))), { cause: e });
      }
      throw e;
    }
  }

  private get settings(): Settings {
    return this.deps.settings.current.settings;
  }

  private configured(): Settings {
    const current = this.deps.settings.current;
    const problems = connectionProblems(current);
    if (problems.length) {
      throw new ConfigurationError(vscode.l10n.t('Fix the Secure MCP settings first: {0}', problems.map(p => `${p.key} ${p.message}`).join('; ')), problems);
    }
    if (!current.settings.serverUrl) {
      throw new ConfigurationError(vscode.l10n.t('No MCP server is configured. Run "Secure MCP: Configure Server…" first.'));
    }
    if (missingRequiredScopes(current.settings)) {
      throw new ConfigurationError(vscode.l10n.t('No scope is configured for the server. Run "Secure MCP: Configure Server…" or set secureMcp.auth.scopes.'));
    }
    return current.settings;
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
      ...(this.deps.elicit ? { elicitation: (params, signal) => this.deps.elicit!({ serverUrl: s.serverUrl, serverLabel: serverUrl.host, params: maskValue(params, fetch.redact) }, signal) } : {}),
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

  /** Maps a failure to the state that says what to do; returns the error for the caller. */
  private fail(e: unknown): Error {
    const server = this.settings.serverUrl;
    if (e instanceof AuthRequiredError) {
      this.setState({ kind: 'signedOut', server, reason: e.message });
    } else if ((e instanceof InsufficientScopeError && this.stateValue.kind === 'connected') || e instanceof CancelledError) {
      // One tool needs more consent, or the user stopped a call: the connection and the other tools still work.
    } else if (e instanceof InsufficientScopeError || e instanceof ServerUnreachableError || e instanceof SecureMcpError) {
      this.setState({ kind: 'error', server, message: e.message });
    } else {
      this.setState({ kind: 'error', server, message: e instanceof Error ? e.message : String(e) });
    }
    return e instanceof Error ? e : new Error(String(e));
  }

  /** One visible "Sign in again" offer at a time, never a surprise dialog. */
  private offerSignIn(e: AuthRequiredError | InsufficientScopeError): void {
    if (this.prompting || this.tokens.signedOut) {
      return;
    }
    const signIn = vscode.l10n.t('Sign In Again');
    this.prompting = vscode.window.showWarningMessage(vscode.l10n.t('Secure MCP: {0}', e.message), signIn).then(choice => {
      this.prompting = undefined;
      if (choice === signIn) {
        // A rejected token needs a new session; a step-up needs one with more scopes.
        void this.signIn(!(e instanceof InsufficientScopeError)).catch(err => this.log.warn(`sign-in: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  }

  private async onSettings(r: ReadSettingsResult): Promise<void> {
    const s = r.settings;
    this.tokens.update({ providerId: s.auth.providerId, scopes: sessionScopes(s) });
    const wasConnected = this.stateValue.kind === 'connected';
    this.deps.onSessionEnded?.();
    await this.resetSession();
    this.setState(this.baseState(r));
    if (wasConnected && this.stateValue.kind === 'signedOut') {
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
    // Problems first: an invalid server URL falls back to '' and must not read as "not configured".
    const problems = connectionProblems(r);
    if (problems.length) {
      return { kind: 'settingsProblem', count: problems.length };
    }
    if (!r.settings.serverUrl) {
      return { kind: 'notConfigured' };
    }
    return { kind: 'signedOut', server: r.settings.serverUrl };
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

/**
 * The settings problems that stop the connection. The language model's own settings
 * (secureMcp.llm.*) do not: the chat reports them when it needs a model, and the tools,
 * /call and sign-in keep working meanwhile.
 */
function connectionProblems(r: ReadSettingsResult): ReadSettingsResult['problems'] {
  return r.problems.filter(p => !p.key.startsWith('secureMcp.llm.'));
}
