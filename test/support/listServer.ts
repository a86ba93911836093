import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { ProtocolError, Server, type Tool } from '@modelcontextprotocol/server';
import { readJson } from './http';

export interface ListServerOptions {
  /** How many tools the server offers (named tool_0 …). */
  readonly tools: number;
  /** Tools per tools/list page; undefined sends them all at once. */
  readonly pageSize?: number;
  /** Characters of each tool's description, to make the list big in bytes. */
  readonly descriptionChars?: number;
  /** Whether the server declares the tools capability (default true). */
  readonly toolsCapability?: boolean;
  /** A JSON-RPC error every tools/call is answered with, instead of a result. */
  readonly callError?: { readonly code: number; readonly message: string };
  /** The i-th tool, instead of the plain `tool_<i>` (`descriptionChars` then does not apply). */
  readonly tool?: (i: number) => Tool;
}

/**
 * A real MCP SDK server (stateless 2025-era Streamable HTTP, no auth) that pages its tool
 * list the way the options say. Requests are counted by method. The low-level `Server`,
 * because `McpServer` answers tools/list in one page.
 */
export async function startListServer(options: ListServerOptions): Promise<{ url: string; requests: Map<string, number>; close: () => Promise<void> }> {
  const requests = new Map<string, number>();
  const tool = options.tool ?? ((i: number): Tool => ({
    name: `tool_${i}`,
    description: `Tool number ${i}. ${'d'.repeat(options.descriptionChars ?? 0)}`,
    inputSchema: { type: 'object', properties: {} }
  }));
  const build = () => {
    const server = new Server({ name: 'list-server', version: '1.0.0' }, { capabilities: options.toolsCapability === false ? {} : { tools: {} } });
    if (options.toolsCapability !== false) {
      server.setRequestHandler('tools/list', request => {
        const start = Number(request.params?.cursor ?? 0);
        const end = options.pageSize === undefined ? options.tools : Math.min(options.tools, start + options.pageSize);
        const tools = Array.from({ length: end - start }, (_, k) => tool(start + k));
        return end < options.tools ? { tools, nextCursor: String(end) } : { tools };
      });
      server.setRequestHandler('tools/call', request => {
        if (options.callError) {
          throw new ProtocolError(options.callError.code, options.callError.message);
        }
        return { content: [{ type: 'text', text: `called ${request.params.name}` }] };
      });
    }
    return server;
  };
  const httpServer = http.createServer(async (req, res) => {
    const body = await readJson(req);
    const method = (body as { method?: string } | undefined)?.method ?? req.method ?? '?';
    requests.set(method, (requests.get(method) ?? 0) + 1);
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    const server = build();
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
    requests,
    close: () => new Promise<void>(r => { httpServer.closeAllConnections(); httpServer.close(() => r()); })
  };
}
