/** The MCP SDK server behind one 2025 session or one 2026-07-28 request, with the world's tools on it. */
import { isInputRequiredResult, type McpServer, type RegisteredTool, type ServerContext } from '@modelcontextprotocol/server';
import type { AuthenticatedUser } from '../bearer';
import { BreakableMcpServer, type Faults } from './faults';
import type { ToolCallRecord, TransportKind } from './options';
import { WORLD_TOOLS } from './tools';
import type { ToolHandler, ToolResult } from './tools/tool';

/** What every tool server shares with the rest of the server. */
export interface ToolServerShared {
  calls: ToolCallRecord[];
  /** Current descriptions by tool name; `changeToolDefinition` replaces them. */
  descriptions: Map<string, string>;
  origin: string;
  slowTaskTickMs: number;
  faults: Faults;
}

export interface ToolServer {
  mcp: McpServer;
  tools: Map<string, RegisteredTool>;
}

export function createToolServer(
  shared: ToolServerShared,
  user: AuthenticatedUser,
  kind: TransportKind,
  getSessionId: () => string | undefined
): ToolServer {
  const mcp = new BreakableMcpServer(
    { name: 'secure-mcp-world', version: '1.0.0' },
    { capabilities: { tools: { listChanged: true }, logging: {} } },
    shared.faults
  );

  /** Records the call before the handler runs, so tests can prove it reached the server. */
  const recorder = (name: string) => <A extends Record<string, unknown>>(fn: ToolHandler<A>) =>
    async (args: A, ctx: ServerContext): Promise<ToolResult> => {
      const { signal } = ctx.mcpReq;
      const record: ToolCallRecord = {
        tool: name, args: { ...args }, oid: user.oid, tid: user.tid,
        sessionId: getSessionId(), transport: kind, at: new Date(), outcome: 'pending'
      };
      shared.calls.push(record);
      try {
        const result = await fn(args, signal, ctx);
        if (isInputRequiredResult(result)) {
          // Only a round that asked the client for input: the call is recorded again when it
          // is retried with the answer, so one call stays one record.
          shared.calls.splice(shared.calls.indexOf(record), 1);
          return result;
        }
        record.outcome = signal.aborted ? 'cancelled' : result.isError ? 'error' : 'ok';
        return result;
      } catch (err) {
        record.outcome = signal.aborted ? 'cancelled' : 'error';
        throw err;
      }
    };

  const tools = new Map(WORLD_TOOLS.map((tool): [string, RegisteredTool] => [tool.name, tool.register({
    mcp,
    name: tool.name,
    description: shared.descriptions.get(tool.name) ?? '',
    recorded: recorder(tool.name),
    origin: shared.origin,
    slowTaskTickMs: shared.slowTaskTickMs,
    breakStructuredOutput: (requestId) => mcp.breakOutputOf(requestId)
  })]));

  return { mcp, tools };
}
