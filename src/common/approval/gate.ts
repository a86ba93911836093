import type { Tool } from '@modelcontextprotocol/client';

/** Who and where a tool call runs as, shown with every approval. */
export interface CallContext {
  /** Stable server key (the configured server URL). */
  readonly serverUrl: string;
  /** Human label for the server (host, or the server's reported name). */
  readonly serverLabel: string;
  readonly account?: { readonly label: string; readonly objectId?: string; readonly tenantId?: string };
}

/** One tool call waiting for a decision. */
export interface PendingToolCall {
  /** Unique per call; every decision is bound to exactly one id. */
  readonly id: string;
  readonly context: CallContext;
  readonly tool: Tool;
  readonly args: Record<string, unknown>;
  /** Who asked: the language model, or the user through `/call`. */
  readonly origin: 'llm' | 'user';
}

export type ApprovalDecision =
  | { readonly kind: 'approved'; readonly how: 'once' | 'session' | 'persistent' | 'policy' }
  | { readonly kind: 'declined'; readonly how: 'user' | 'timeout' | 'closed' | 'cancelled' | 'policy'; readonly reason?: string };

/**
 * The single place a tool call is allowed or refused before it is sent. The chat loop
 * and `/call` both go through it; nothing reaches the server around it.
 */
export interface ApprovalGate {
  decide(call: PendingToolCall, signal?: AbortSignal): Promise<ApprovalDecision>;
}
