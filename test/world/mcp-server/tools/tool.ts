/** The shape of one world tool: a definition that registers itself on a session's tool server. */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, RequestId, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export type ToolHandler<A> = (args: A, signal: AbortSignal, extra: ToolExtra) => Promise<CallToolResult>;

/** What a tool gets from the session it is registered on. */
export interface ToolContext {
  mcp: McpServer;
  name: string;
  /** Not necessarily the initial one: `changeToolDefinition` may have replaced it. */
  description: string;
  /** Adapts a handler to the SDK's callback, recording each call in `SecureMcpServer.calls`. */
  recorded<A extends Record<string, unknown>>(fn: ToolHandler<A>): (args: A, extra: ToolExtra) => Promise<CallToolResult>;
  /** The server's origin, for pages of ours a tool sends the user to. */
  origin: string;
  /** Milliseconds per "second" of `slow_task`. */
  slowTaskTickMs: number;
  /** Makes the response to `requestId` carry structured output that breaks the schema, while that fault is on. */
  breakStructuredOutput(requestId: RequestId): void;
}

export interface WorldTool {
  name: string;
  /** What every session starts with. */
  description: string;
  register(context: ToolContext): RegisteredTool;
}

export function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}
