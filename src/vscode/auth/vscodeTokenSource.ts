import * as vscode from 'vscode';
import { untilAborted } from '../../common/abort';
import { expiresAtOf } from '../../common/auth/claims';
import { signInFailure } from '../../common/auth/aadsts';
import type { AccessToken, TokenRequest, TokenSource } from '../../common/auth/tokenSource';
import { scoped, type Logger } from '../../common/log';
import { SERVER_SCOPE_PREFIX } from '../../common/settings';

export interface SessionRequest {
  readonly providerId: string;
  /** Resource scopes plus the provider hints (VSCODE_TENANT:, VSCODE_CLIENT_ID:). */
  readonly scopes: readonly string[];
}

/** Where the single-server settings' server keeps "signed out"; each other server has its own key. */
export const SIGNED_OUT_KEY = 'secureMcp.signedOut';

/** The "signed out" key of a server: the single-server settings' one keeps the key it always had. */
export function signedOutKey(server: { readonly name: string; readonly source: string }): string {
  return server.source === 'secureMcp' ? SIGNED_OUT_KEY : `${SIGNED_OUT_KEY}:${server.name}`;
}

/**
 * Tokens from a VS Code authentication provider (`microsoft` by default). Silent
 * requests only; the one interactive path is `signIn()`, called from the sign-in
 * command or the "Sign in again" action, never as a surprise.
 */
export class VsCodeTokenSource implements TokenSource, vscode.Disposable {
  private readonly log: Logger;
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  /** Why the last sign-in or silent request failed, explained and masked; for Diagnose. */
  lastFailure: string | undefined;
  /** Fired when the provider's sessions changed (sign-in or sign-out anywhere). */
  readonly onDidChange = this.emitter.event;

  /**
   * @param ownProviders Providers this extension registered itself: for those, sign-out
   * removes the session and its secrets (built-in providers own their accounts).
   */
  constructor(private request: SessionRequest, private readonly state: vscode.Memento, logger: Logger, private readonly ownProviders: ReadonlyMap<string, vscode.AuthenticationProvider> = new Map(), private stateKey = SIGNED_OUT_KEY) {
    this.log = scoped(logger, 'auth');
    this.subscription = vscode.authentication.onDidChangeSessions(e => {
      if (e.provider.id === this.request.providerId) {
        this.log.info(`sessions of ${e.provider.id} changed`);
        this.emitter.fire();
      }
    });
  }

  get providerId(): string {
    return this.request.providerId;
  }

  update(request: SessionRequest, stateKey = this.stateKey): void {
    this.request = request;
    this.stateKey = stateKey;
  }

  /** True after the user signed out here, until they sign in again: silent requests stay quiet. */
  get signedOut(): boolean {
    return this.state.get<boolean>(this.stateKey, false);
  }

  async getToken(request: TokenRequest): Promise<AccessToken | undefined> {
    if (this.signedOut) {
      return undefined;
    }
    const scopes = this.withHints(request.scopes);
    let session: vscode.AuthenticationSession | undefined;
    try {
      // getSession takes no signal: a caller that gives up stops waiting, the request goes on.
      session = await untilAborted(vscode.authentication.getSession(this.request.providerId, scopes, { silent: true }), request.signal);
    } catch (e) {
      // Given up, not failed: nothing to tell Diagnose.
      request.signal?.throwIfAborted();
      this.lastFailure = signInFailure(this.request.providerId, e).message;
      this.log.warn(`silent sign-in with ${this.request.providerId} failed: ${this.lastFailure}`);
      return undefined;
    }
    if (!session) {
      return undefined;
    }
    if (request.rejected !== undefined && session.accessToken === request.rejected) {
      // The provider has nothing fresher without asking the user.
      this.log.info('the provider returned the rejected token again; a new sign-in is needed');
      return undefined;
    }
    return toAccessToken(session, request.scopes);
  }

  /** Interactive sign-in. `again` forces a new session after the server rejected the current one. */
  async signIn(scopes: readonly string[], again = false): Promise<AccessToken | undefined> {
    const wasSignedOut = this.signedOut;
    const options: vscode.AuthenticationGetSessionOptions = again
      ? { forceNewSession: { detail: vscode.l10n.t('The MCP server no longer accepts your sign-in.') } }
      : { createIfNone: true, ...(wasSignedOut ? { clearSessionPreference: true } : {}) };
    let session: vscode.AuthenticationSession | undefined;
    try {
      session = await vscode.authentication.getSession(this.request.providerId, this.withHints(scopes), options);
    } catch (e) {
      const failure = signInFailure(this.request.providerId, e);
      this.lastFailure = failure.message;
      throw failure;
    }
    this.lastFailure = undefined;
    await this.state.update(this.stateKey, false);
    return session ? toAccessToken(session, scopes) : undefined;
  }

  /**
   * Forgets this extension's use of the session. Built-in providers own their accounts
   * (the Accounts menu removes them), so sign-out here means: stop using it, and let the
   * next sign-in pick an account again.
   */
  async signOut(): Promise<void> {
    const own = this.ownProviders.get(this.request.providerId);
    if (own) {
      const session = await vscode.authentication.getSession(this.request.providerId, this.request.scopes, { silent: true }).then(s => s, () => undefined);
      if (session) {
        await own.removeSession(session.id);
        this.log.info(`removed the ${this.request.providerId} session and its stored tokens`);
      }
    }
    await this.state.update(this.stateKey, true);
  }

  private withHints(scopes: readonly string[]): string[] {
    // The provider hints: VS Code's Microsoft provider's, and the server for Secure MCP's own provider.
    const hints = this.request.scopes.filter(s => s.startsWith('VSCODE_') || s.startsWith(SERVER_SCOPE_PREFIX));
    return [...new Set([...scopes, ...hints])];
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

function toAccessToken(session: vscode.AuthenticationSession, scopes: readonly string[]): AccessToken {
  const expiresAt = expiresAtOf(session.accessToken);
  return {
    token: session.accessToken,
    account: { id: session.account.id, label: session.account.label },
    scopes: [...scopes],
    ...(expiresAt !== undefined ? { expiresAt } : {})
  };
}
