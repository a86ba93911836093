import { createAuthFetch } from '../../src/node/auth/authFetch';
import type { AccessToken, TokenRequest, TokenSource } from '../../src/common/auth/tokenSource';
import type { ApprovalDecision, ApprovalGate, PendingToolCall } from '../../src/common/approval/gate';
import type { Logger } from '../../src/common/log';
import { McpSession } from '../../src/node/mcp/session';
import type { ToolServer } from '../../src/common/chat/toolCalls';
import type { Idp } from '../world';

/** Mints real tokens from the world's IdP, like the product's token source would get them. */
export class IdpTokens implements TokenSource {
  constructor(private readonly idp: Idp) {}
  async getToken(request: TokenRequest): Promise<AccessToken | undefined> {
    return { token: await this.idp.mintToken({}), scopes: request.scopes, expiresAt: Date.now() + 3_600_000 };
  }
}


/** A real McpSession against the world's MCP server, authenticated with real tokens. */
export function worldSession(idp: Idp, url: string, logger: Logger, maxResultBytes = 1_048_576): McpSession {
  const serverUrl = new URL(url);
  return new McpSession({
    serverUrl,
    fetch: createAuthFetch({ serverUrl, tokens: new IdpTokens(idp), scopes: [idp.fullScope], allowedScopes: [idp.fullScope], logger }),
    logger,
    clientInfo: { name: 'secure-mcp-test', version: '0.0.0' },
    connectTimeoutMs: 5000,
    callTimeoutMs: 5000,
    callMaxTimeoutMs: 20_000,
    maxResultBytes,
    reconnect: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 }
  });
}

export function worldServer(session: ToolServer['session'], url: string, name = 'world'): ToolServer {
  return { name, session, context: { serverUrl: url, serverLabel: 'world server', account: { label: 'demo@contoso.test', tenantId: 't' } } };
}

/** Approves or declines per tool name, and records every call it was asked about. */
export class TestGate implements ApprovalGate {
  readonly seen: PendingToolCall[] = [];
  constructor(private readonly decline: ReadonlySet<string> = new Set(), private readonly hook?: (call: PendingToolCall, signal?: AbortSignal) => Promise<ApprovalDecision | undefined>) {}
  async decide(call: PendingToolCall, signal?: AbortSignal): Promise<ApprovalDecision> {
    this.seen.push(call);
    const hooked = await this.hook?.(call, signal);
    if (hooked) {
      return hooked;
    }
    return this.decline.has(call.tool.name) ? { kind: 'declined', how: 'user' } : { kind: 'approved', how: 'once' };
  }
}

export async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('condition not met in time');
    }
    await new Promise(r => setTimeout(r, 20));
  }
}
