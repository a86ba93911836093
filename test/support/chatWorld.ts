import type { ApprovalDecision, ApprovalGate, PendingToolCall } from '../../src/common/approval/gate';
import type { ToolServer } from '../../src/common/chat/toolCalls';
import { mask, type Logger } from '../../src/common/log';
import type { McpSession } from '../../src/node/mcp/session';
import type { Idp } from '../world';
import { IdpTokens, testSession } from './session';

/** A real McpSession against the world's MCP server, authenticated with real tokens. */
export function worldSession(idp: Idp, url: string, logger: Logger, maxResultBytes = 1_048_576): McpSession {
  return testSession({
    serverUrl: url,
    tokens: new IdpTokens(idp),
    scope: idp.fullScope,
    logger,
    maxResultBytes
  });
}

/** The world's tokens are JWTs, which the patterns of `mask` recognise without knowing them. */
export function worldServer(session: ToolServer['session'], url: string, name = 'world', redact: ToolServer['redact'] = mask): ToolServer {
  return { name, session, redact, context: { serverUrl: url, serverLabel: 'world server', account: { label: 'demo@contoso.test', tenantId: 't' } } };
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
