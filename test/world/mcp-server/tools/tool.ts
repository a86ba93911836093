/** The shape of one world tool: a definition that registers itself on a tool server. */
import type { CallToolResult, InputRequiredResult, McpServer, RegisteredTool, RequestId, ServerContext } from '@modelcontextprotocol/server';

/** A handler's answer: a result, or (multi round-trip) a request for input from the client first. */
export type ToolResult = CallToolResult | InputRequiredResult;

export type ToolHandler<A> = (args: A, signal: AbortSignal, ctx: ServerContext) => Promise<ToolResult>;

/** What a tool gets from the tool server it is registered on. */
export interface ToolContext {
  mcp: McpServer;
  name: string;
  /** Not necessarily the initial one: `changeToolDefinition` may have replaced it. */
  description: string;
  /** Adapts a handler to the SDK's callback, recording each call in `SecureMcpServer.calls`. */
  recorded<A extends Record<string, unknown>>(fn: ToolHandler<A>): (args: A, ctx: ServerContext) => Promise<ToolResult>;
  /** The server's origin, for pages of ours a tool sends the user to. */
  origin: string;
  /** Milliseconds per "second" of `slow_task`. */
  slowTaskTickMs: number;
  /** Makes the response to `requestId` carry structured output that breaks the schema, while that fault is on. */
  breakStructuredOutput(requestId: RequestId): void;
}

export interface WorldTool {
  name: string;
  /** What every tool server starts with. */
  description: string;
  register(context: ToolContext): RegisteredTool;
}

export function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}
