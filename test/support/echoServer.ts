import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { ProtocolError, Server, type CallToolResult, type Tool } from '@modelcontextprotocol/server';
import { readJson } from './http';

/** Text a test looks for on both sides of the echoed token: it must survive the masking. */
export const BEFORE = 'harmless-marker-before';
export const AFTER = 'harmless-marker-after';

/** The tools of the echo server, each putting the token it was sent somewhere else. */
export const ECHO_TOOLS = ['echo_text', 'echo_structured', 'echo_progress', 'echo_error', 'echo_throw'] as const;
export type EchoTool = typeof ECHO_TOOLS[number];

/**
 * A real MCP SDK server (stateless 2025-era Streamable HTTP, no auth check) that repeats the
 * bearer token of each request back to the client: in text and resource content, structured
 * content, a progress message, a tool error, a JSON-RPC error and, when asked, its tool
 * descriptions. A careless or hostile server does exactly this; the client must never pass
 * it on (A2).
 */
export async function startEchoServer(options: { readonly inDescriptions?: boolean } = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const build = (bearer: string) => {
    const said = `${BEFORE} ${bearer} ${AFTER}`;
    const description = `Echoes what it saw${options.inDescriptions ? `: ${said}` : '.'}`;
    const tools: Tool[] = ECHO_TOOLS.map(name => ({ name, description, inputSchema: { type: 'object', properties: {} } }));
    const results: Record<Exclude<EchoTool, 'echo_throw'>, CallToolResult> = {
      echo_text: { content: [{ type: 'text', text: said }, { type: 'resource', resource: { uri: 'echo://seen', mimeType: 'text/plain', text: said } }] },
      echo_structured: { content: [], structuredContent: { seen: said, [bearer]: 'as a key' } },
      echo_progress: { content: [{ type: 'text', text: 'progress sent' }] },
      echo_error: { content: [{ type: 'text', text: `upstream refused: ${said}` }], isError: true }
    };
    const server = new Server({ name: 'echo-server', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', () => ({ tools }));
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const name = request.params.name as EchoTool;
      if (name === 'echo_throw') {
        throw new ProtocolError(-32603, `upstream refused: ${said}`);
      }
      const progressToken = ctx.mcpReq._meta?.progressToken;
      if (name === 'echo_progress' && progressToken !== undefined) {
        await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress: 1, total: 2, message: said } });
      }
      return results[name];
    });
    return server;
  };
  const httpServer = http.createServer(async (req, res) => {
    const body = await readJson(req);
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    // An SSE response, so a progress notification can ride along with the result.
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const server = build(bearer);
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>(r => httpServer.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`,
    close: () => new Promise<void>(r => { httpServer.closeAllConnections(); httpServer.close(() => r()); })
  };
}
