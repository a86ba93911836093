/**
 * The conditions behind the "Get started" walkthrough's steps, as context keys. A step
 * completes on `onContext:<key>` once its condition holds, however the user got there (a
 * preset setting, the Accounts menu, a chat button), and never because a command link was
 * merely clicked: a command's event fires even when it is cancelled or fails.
 */
import type { ApprovalDecision, PendingToolCall } from './approval/gate';

export const WALKTHROUGH_CONTEXT = {
  /** `secureMcp.serverUrl` holds a valid URL. */
  serverConfigured: 'secureMcp.serverConfigured',
  /** Connected to the server with a token it accepted. */
  signedIn: 'secureMcp.signedIn',
  /** The language model asked for a tool call: a model is chosen and working. */
  modelCalledTool: 'secureMcp.modelCalledTool',
  /** A tool call was approved (by the user, or by a rule the user set). */
  toolCallApproved: 'secureMcp.toolCallApproved'
} as const;

export type WalkthroughContextKey = (typeof WALKTHROUGH_CONTEXT)[keyof typeof WALKTHROUGH_CONTEXT];

/** The keys that follow the current state: the configured server URL and the connection's kind. */
export function stateContext(state: { readonly serverUrl: string; readonly connection: string }): ReadonlyMap<WalkthroughContextKey, boolean> {
  return new Map([
    [WALKTHROUGH_CONTEXT.serverConfigured, state.serverUrl !== ''],
    [WALKTHROUGH_CONTEXT.signedIn, state.connection === 'connected']
  ]);
}

/** The keys one approval decision proves; they stay set for the window's life. */
export function decisionContext(call: Pick<PendingToolCall, 'origin'>, decision: ApprovalDecision): WalkthroughContextKey[] {
  const keys: WalkthroughContextKey[] = [];
  if (call.origin === 'llm') {
    keys.push(WALKTHROUGH_CONTEXT.modelCalledTool);
  }
  if (decision.kind === 'approved') {
    keys.push(WALKTHROUGH_CONTEXT.toolCallApproved);
  }
  return keys;
}
