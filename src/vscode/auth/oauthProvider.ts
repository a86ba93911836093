import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { OAuthClient, type BrowserOpener, type TokenRecord } from '../../node/oauth';
import type { Logger } from '../../common/log';
import { grantCovers, OWN_OAUTH_PROVIDER_ID, SERVER_SCOPE_PREFIX } from '../../common/settings';

export const OAUTH_PROVIDER_ID = OWN_OAUTH_PROVIDER_ID;
export { SERVER_SCOPE_PREFIX };

export interface OAuthProviderDeps {
  readonly logger: Logger;
  /**
   * Where session changes are announced. Activation registers the provider before this
   * class is loaded, so it owns the emitter VS Code listens to; tests pass none.
   */
  readonly sessionsChanged?: vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>;
  /**
   * The server to sign in to when the scopes name none (a sign-in from the Accounts menu):
   * the first configured one, read when needed so a settings change applies to the next sign-in.
   */
  readonly getServerUrl: () => string | undefined;
  /**
   * The organisation's MCP policy: an error when it excludes the server, which sign-in
   * then never contacts (not even for its metadata).
   */
  readonly blockedBy?: (serverUrl: string) => Error | undefined;
  /** The server's pre-registered client id (`auth.clientId`) and Client ID Metadata Document URL, when set. */
  readonly getClientIdentity?: (serverUrl: string) => { readonly clientId?: string; readonly clientMetadataUrl?: string; readonly legacyEndpointFallback?: boolean };
  /** Defaults to `vscode.env.openExternal`; tests inject a headless browser. */
  readonly openBrowser?: BrowserOpener;
}

/**
 * Secure MCP's own authentication provider for any server that follows the MCP
 * authorization spec. Sessions are the grants `OAuthClient` keeps in SecretStorage, so
 * they survive restarts, appear in the Accounts menu and are removed with their secrets.
 */
export class SecureMcpOAuthProvider implements vscode.AuthenticationProvider, vscode.Disposable {
  private readonly changed: vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>;
  readonly onDidChangeSessions: vscode.Event<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>;
  private client: OAuthClient | undefined;
  private clientKey = '';

  constructor(private readonly secrets: vscode.SecretStorage, private readonly deps: OAuthProviderDeps) {
    this.changed = deps.sessionsChanged ?? new vscode.EventEmitter();
    this.onDidChangeSessions = this.changed.event;
  }

  dispose(): void {
    if (!this.deps.sessionsChanged) {
      this.changed.dispose();
    }
  }

  async getSessions(scopes: readonly string[] | undefined, _options?: vscode.AuthenticationProviderSessionOptions): Promise<vscode.AuthenticationSession[]> {
    const { server, resourceScopes } = this.target(scopes ?? []);
    if (!server && scopes?.length) {
      return [];
    }
    const client = await this.getClient(server);
    const records = (await client.listGrants()).filter(r => (!server || r.server === server.href) && grantCovers(r.scope, resourceScopes));
    const sessions: vscode.AuthenticationSession[] = [];
    for (const record of records) {
      // Callers ask before every request (silent): hand out a fresh token, refreshing when due.
      const due = record.expiresAt !== undefined && record.expiresAt - Date.now() < 60_000;
      const fresh = due ? await client.refresh(new URL(record.server), record).catch(() => undefined) : record;
      if (fresh) {
        sessions.push(toSession(fresh));
      }
    }
    return sessions;
  }

  async createSession(scopes: readonly string[], _options?: vscode.AuthenticationProviderSessionOptions): Promise<vscode.AuthenticationSession> {
    const { server, resourceScopes } = this.target(scopes);
    if (!server) {
      throw new Error(vscode.l10n.t('Set secureMcp.serverUrl to the MCP server before signing in.'));
    }
    const blocked = this.deps.blockedBy?.(server.href);
    if (blocked) {
      throw blocked;
    }
    const client = await this.getClient(server);
    const record = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Signing in to {0}…', server.host), cancellable: true },
      (_progress, token) => {
        const controller = new AbortController();
        const sub = token.onCancellationRequested(() => controller.abort());
        return client.signIn(server, { scopes: resourceScopes, signal: controller.signal }).finally(() => sub.dispose());
      }
    );
    const session = toSession(record);
    this.changed.fire({ added: [session], removed: [], changed: [] });
    return session;
  }

  async removeSession(sessionId: string): Promise<void> {
    const client = await this.getClient();
    const grants = await client.listGrants();
    const record = grants.find(r => sessionIdOf(r) === sessionId);
    if (!record) {
      return;
    }
    // The client registration stays, so signing in again asks for no new consent.
    await client.signOut(record);
    this.deps.logger.info(`[oauth] signed out of ${record.server}`);
    this.changed.fire({ added: [], removed: [toSession(record)], changed: [] });
  }

  private target(scopes: readonly string[]): { server: URL | undefined; resourceScopes: string[] } {
    const hint = scopes.find(s => s.startsWith(SERVER_SCOPE_PREFIX))?.slice(SERVER_SCOPE_PREFIX.length);
    const raw = hint || this.deps.getServerUrl() || '';
    let server: URL | undefined;
    try {
      server = raw ? new URL(raw) : undefined;
    } catch {
      server = undefined;
    }
    return { server, resourceScopes: scopes.filter(s => !s.startsWith(SERVER_SCOPE_PREFIX)) };
  }

  /** One client per client identity: a changed client id setting takes effect on the next call. */
  private async getClient(server?: URL): Promise<OAuthClient> {
    const identity = (server && this.deps.getClientIdentity?.(server.href)) ?? {};
    const key = JSON.stringify(identity);
    if (!this.client || key !== this.clientKey) {
      this.client = new OAuthClient({
        secrets: this.secrets,
        logger: this.deps.logger,
        openBrowser: this.deps.openBrowser ?? openExternal,
        ...(identity.clientId ? { preRegisteredClient: { clientId: identity.clientId } } : {}),
        ...(identity.clientMetadataUrl ? { clientMetadataUrl: identity.clientMetadataUrl } : {}),
        ...(identity.legacyEndpointFallback ? { legacyEndpointFallback: true } : {})
      });
      this.clientKey = key;
    }
    return this.client;
  }
}

/** A10: the URL was checked by the OAuth client; VS Code opens it in the user's browser. */
const openExternal: BrowserOpener = async url => {
  const opened = await vscode.env.openExternal(vscode.Uri.parse(url.href, true));
  if (!opened) {
    throw new Error(vscode.l10n.t('The browser could not be opened for sign-in.'));
  }
};

function sessionIdOf(record: TokenRecord): string {
  return crypto.createHash('sha256').update(JSON.stringify([record.server, record.issuer, record.scope])).digest('hex').slice(0, 32);
}

function toSession(record: TokenRecord): vscode.AuthenticationSession {
  return {
    id: sessionIdOf(record),
    accessToken: record.accessToken,
    account: { id: record.account.id, label: record.account.label },
    scopes: record.scope ? record.scope.split(' ') : []
  };
}
