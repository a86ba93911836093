/** The MCP SDK server behind one session, with the world's tools registered on it. */
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuthenticatedUser } from '../bearer';
import { OutputBreaker, type Faults } from './faults';
import type { ToolCallRecord, TransportKind } from './options';
import { WORLD_TOOLS } from './tools';
import type { ToolExtra, ToolHandler } from './tools/tool';

/** What every session's tool server shares with the rest of the server. */
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
  connect(transport: Transport): Promise<void>;
}

export function createToolServer(
  shared: ToolServerShared,
  user: AuthenticatedUser,
  kind: TransportKind,
  getSessionId: () => string | undefined
): ToolServer {
  const mcp = new McpServer(
    { name: 'secure-mcp-world', version: '1.0.0' },
    { capabilities: { tools: { listChanged: true }, logging: {} } }
  );
  const breaker = new OutputBreaker(shared.faults);

  /** Records the call before the handler runs, so tests can prove it reached the server. */
  const recorder = (name: string) => <A extends Record<string, unknown>>(fn: ToolHandler<A>) =>
    async (args: A, extra: ToolExtra): Promise<CallToolResult> => {
      const record: ToolCallRecord = {
        tool: name, args: { ...args }, oid: user.oid, tid: user.tid,
        sessionId: getSessionId(), transport: kind, at: new Date(), outcome: 'pending'
      };
      shared.calls.push(record);
      try {
        const result = await fn(args, extra.signal, extra);
        record.outcome = extra.signal.aborted ? 'cancelled' : result.isError ? 'error' : 'ok';
        return result;
      } catch (err) {
        record.outcome = extra.signal.aborted ? 'cancelled' : 'error';
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
    breakStructuredOutput: (requestId) => breaker.mark(requestId)
  })]));

  return { mcp, tools, connect: (transport) => breaker.connect(mcp, transport) };
}
