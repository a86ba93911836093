/** An access token and what is safe to know about it. The token itself is never logged. */
export interface AccessToken {
  readonly token: string;
  /** Epoch milliseconds, when known. */
  readonly expiresAt?: number;
  readonly account?: { readonly id: string; readonly label: string };
  readonly scopes: readonly string[];
}

export interface TokenRequest {
  /** Resource scopes (provider hints such as `VSCODE_TENANT:` are added by the source). */
  readonly scopes: readonly string[];
  /**
   * The server rejected this token. A source that can refresh silently returns a
   * different one; one that cannot returns undefined. Never prompts.
   */
  readonly rejected?: string;
  readonly signal?: AbortSignal;
}

/**
 * Where bearer tokens come from: VS Code's authentication providers in the product,
 * the world's identity provider in tests. `getToken` never shows UI; sign-in is a
 * separate, explicit user action.
 */
export interface TokenSource {
  getToken(request: TokenRequest): Promise<AccessToken | undefined>;
}
