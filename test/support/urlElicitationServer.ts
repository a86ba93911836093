import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpServer, UrlElicitationRequiredError } from '@modelcontextprotocol/server';
import { readJson } from './http';

/**
 * A real MCP SDK server (stateful 2025-era Streamable HTTP, no auth) with one tool, `pay`,
 * that first answers -32042 (URL elicitation required), as the SDK's URL-elicitation example
 * does; the error exists only on the 2025 wire, which is why this server speaks nothing else. `complete(id)` stands for the user finishing the page: it marks the consent and
 * sends notifications/elicitation/complete; then `pay` succeeds.
 */
export async function startUrlElicitationServer(): Promise<{
  url: string;
  /** Every elicitation id the server asked for, in order. */
  readonly asked: string[];
  /** How often `pay` ran. */
  runs(): number;
  complete(elicitationId: string): Promise<void>;
  close(): Promise<void>;
}> {
  const asked: string[] = [];
  const consented = new Set<string>();
  const notifiers = new Map<string, () => Promise<void>>();
  const transports = new Map<string, NodeStreamableHTTPServerTransport>();
  let runs = 0;
  const build = () => {
    const mcp = new McpServer({ name: 'url-elicitation', version: '1.0.0' });
    mcp.registerTool('pay', { description: 'Pays, after the user confirms on the server\'s page' }, async () => {
      runs++;
      if (!consented.size) {
        const elicitationId = randomUUID();
        asked.push(elicitationId);
        notifiers.set(elicitationId, mcp.server.createElicitationCompletionNotifier(elicitationId));
        throw new UrlElicitationRequiredError([{ mode: 'url', message: 'Confirm the payment on our page.', url: `https://pay.example.com/confirm?e=${elicitationId}`, elicitationId }]);
      }
      return { content: [{ type: 'text', text: 'paid' }] };
    });
    return mcp;
  };
  const server = http.createServer(async (req, res) => {
    const body = await readJson(req);
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? transports.get(id) : undefined;
    if (!transport) {
      const fresh = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: sid => void transports.set(sid, fresh) });
      await build().connect(fresh);
      transport = fresh;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    asked,
    runs: () => runs,
    complete: async elicitationId => {
      consented.add(elicitationId);
      await notifiers.get(elicitationId)?.();
    },
    close: async () => {
      await Promise.allSettled([...transports.values()].map(t => t.close()));
      await new Promise<void>(r => { server.closeAllConnections(); server.close(() => r()); });
    }
  };
}
