import type { AccessToken, TokenRequest, TokenSource } from '../../src/common/auth/tokenSource';
import type { Logger } from '../../src/common/log';
import { createAuthFetch } from '../../src/node/auth/authFetch';
import { McpSession, type McpSessionOptions } from '../../src/node/mcp/session';
import type { Idp } from '../world';

/** Mints real tokens from the world's IdP, as the product's token source would get them; records each request. */
export class IdpTokens implements TokenSource {
  readonly requests: TokenRequest[] = [];
  constructor(private readonly idp: Idp, private readonly overrides: Record<string, unknown> = {}) {}
  async getToken(request: TokenRequest): Promise<AccessToken | undefined> {
    this.requests.push(request);
    return { token: await this.idp.mintToken(this.overrides), scopes: request.scopes, expiresAt: Date.now() + 3_600_000 };
  }
}

/** Always the same token, whatever is asked. */
export class FixedToken implements TokenSource {
  constructor(private readonly token: string) {}
  async getToken(request: TokenRequest): Promise<AccessToken | undefined> {
    return { token: this.token, scopes: request.scopes, expiresAt: Date.now() + 3_600_000 };
  }
}

export interface TestSessionOptions extends Partial<Omit<McpSessionOptions, 'serverUrl' | 'fetch' | 'logger'>> {
  readonly serverUrl: URL | string;
  readonly tokens: TokenSource;
  /** The one scope the auth fetch asks for and allows. */
  readonly scope: string;
  readonly logger: Logger;
}

/** A real McpSession behind the real auth fetch, with timeouts short enough for tests. */
export function testSession(options: TestSessionOptions): McpSession {
  return testConnection(options).session;
}

/**
 * The session, and the auth fetch's `redact` that knows the exact tokens it sent: what
 * the product hands the chat turn with each server.
 */
export function testConnection(options: TestSessionOptions): { session: McpSession; redact: (text: string) => string } {
  const { serverUrl: url, tokens, scope, logger, ...rest } = options;
  const serverUrl = new URL(url);
  const fetch = createAuthFetch({ serverUrl, tokens, scopes: [scope], allowedScopes: [scope], logger });
  const session = new McpSession({
    serverUrl,
    fetch,
    logger,
    clientInfo: { name: 'secure-mcp-test', version: '0.0.0' },
    connectTimeoutMs: 5000,
    callTimeoutMs: 5000,
    callMaxTimeoutMs: 20_000,
    maxResultBytes: 1_048_576,
    reconnect: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    ...rest
  });
  return { session, redact: fetch.redact };
}
