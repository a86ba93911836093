import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { limitResponseBytes, RESULT_TOO_LARGE } from '../../../../src/node/mcp/limits';

/** A server that answers every request with `body`, in `chunks` writes, without Content-Length. */
async function chunkedServer(body: string, contentType: string, chunks = 3): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': contentType });
    const size = Math.ceil(body.length / chunks);
    let i = 0;
    const next = () => {
      if (i >= body.length) {
        res.end();
        return;
      }
      res.write(body.slice(i, i + size));
      i += size;
      setTimeout(next, 5);
    };
    next();
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    close: () => new Promise<void>(r => { server.closeAllConnections(); server.close(() => r()); })
  };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms))]);
}

describe('response byte limits', () => {
  const post = { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call' }) };

  it('passes a chunked JSON response without Content-Length through whole, without waiting for a timeout', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'x'.repeat(5000) }] } });
    const server = await chunkedServer(body, 'application/json', 4);
    try {
      const response = await limitResponseBytes(fetch, 1_048_576)(server.url, post);
      assert.equal(await within(response.text(), 2000, 'reading the body'), body);
    } finally {
      await server.close();
    }
  });

  it('replaces a chunked JSON response past the cap with a JSON-RPC error for the request id', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'x'.repeat(50_000) }] } });
    const server = await chunkedServer(body, 'application/json', 10);
    try {
      const response = await limitResponseBytes(fetch, 10_000)(server.url, post);
      const answer = JSON.parse(await within(response.text(), 2000, 'reading the body')) as { id: number; error: { data: { reason: string } } };
      assert.equal(answer.id, 7);
      assert.equal(answer.error.data.reason, RESULT_TOO_LARGE);
    } finally {
      await server.close();
    }
  });
});
