import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProtocolError } from '../../../../src/common/errors';
import { recordingLogger } from '../../../support/logger';
import { FixedToken, testSession } from '../../../support/session';

/**
 * What a server that speaks only MCP 2026-07-28 answers a 2025-11-25 `initialize`, as
 * @modelcontextprotocol/conformance 0.2.0-alpha.12's scenario servers do: HTTP 400 with a
 * JSON-RPC error -32020 (the MCP-Protocol-Version header is missing). GETs are 404.
 */
async function newerOnlyServer(): Promise<{ url: string; gets: () => number; close: () => Promise<void> }> {
  let gets = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      gets++;
      res.writeHead(404).end();
      return;
    }
    let body = '';
    req.on('data', c => { body += String(c); });
    req.on('end', () => {
      const id = (JSON.parse(body) as { id?: number }).id ?? null;
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32020, message: 'Missing MCP-Protocol-Version header' } }));
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    gets: () => gets,
    close: () => new Promise<void>(r => { server.closeAllConnections(); server.close(() => r()); })
  };
}

describe('a server that speaks only a newer protocol revision', () => {
  it('says so, naming both sides, instead of "cannot reach", and does not try the legacy SSE transport', async () => {
    const server = await newerOnlyServer();
    try {
      const s = testSession({ serverUrl: server.url, tokens: new FixedToken('t'), scope: 'api://srv/mcp:tools', logger: recordingLogger() });
      await assert.rejects(s.listTools(), (e: unknown) => e instanceof ProtocolError
        && /2025-11-25/.test(e.message) && /-32020/.test(e.message) && /Missing MCP-Protocol-Version header/.test(e.message));
      assert.equal(server.gets(), 0, 'no legacy SSE GET: the server speaks MCP, just not this revision');
      await s.close();
    } finally {
      await server.close();
    }
  });
});
