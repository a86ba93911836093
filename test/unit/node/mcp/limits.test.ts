import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { capEvents, limitResponseBytes, RESULT_TOO_LARGE } from '../../../../src/node/mcp/limits';

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
      const response = await limitResponseBytes(fetch, { maxBytes: 1_048_576 })(server.url, post);
      assert.equal(await within(response.text(), 2000, 'reading the body'), body);
    } finally {
      await server.close();
    }
  });

  it('replaces a chunked JSON response past the cap with a JSON-RPC error for the request id', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'x'.repeat(50_000) }] } });
    const server = await chunkedServer(body, 'application/json', 10);
    try {
      const response = await limitResponseBytes(fetch, { maxBytes: 10_000 })(server.url, post);
      const answer = JSON.parse(await within(response.text(), 2000, 'reading the body')) as { id: number; error: { data: { reason: string } } };
      assert.equal(answer.id, 7);
      assert.equal(answer.error.data.reason, RESULT_TOO_LARGE);
    } finally {
      await server.close();
    }
  });
});

describe('event stream limits (GET stream, legacy SSE)', () => {
  async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
    return new Response(stream).text();
  }
  function streamOf(parts: readonly string[]): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    let i = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < parts.length) {
          controller.enqueue(encoder.encode(parts[i++]));
        } else {
          controller.close();
        }
      }
    });
  }
  const event = (id: number, text: string) => `event: message\ndata: ${JSON.stringify({ result: { content: [{ type: 'text', text }] }, jsonrpc: '2.0', id })}\n\n`;

  it('passes events within the cap through unchanged, however they are split into chunks', async () => {
    const whole = event(1, 'a') + event(2, 'b'.repeat(500)) + ': comment\r\n\r\n' + event(3, 'c');
    const chunks = whole.match(/[\s\S]{1,7}/g) ?? [];
    assert.equal(await readAll(capEvents(streamOf(chunks), 1000)), whole);
  });

  it('replaces an event past the cap with an error for its JSON-RPC id, and keeps the events around it', async () => {
    const big = event(42, 'x'.repeat(50_000));
    const out = await readAll(capEvents(streamOf([event(1, 'before'), ...(big.match(/[\s\S]{1,4096}/g) ?? []), event(2, 'after')]), 10_000));
    const datas = out.split('\n').filter(l => l.startsWith('data: ')).map(l => JSON.parse(l.slice(6)) as { id: number; error?: { data: { reason: string } } });
    assert.deepEqual(datas.map(d => d.id), [1, 42, 2]);
    assert.equal(datas[1]?.error?.data.reason, RESULT_TOO_LARGE);
    assert.equal(datas[0]?.error, undefined);
    assert.ok(out.length < 5_000, `the oversized event is not passed on (${out.length} characters)`);
  });

  it('reads an event that never ends without holding it, and passes nothing of it on', async () => {
    let sent = 0;
    const megabyte = new TextEncoder().encode('data: ' + 'y'.repeat(1_048_570));
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 16) {
          controller.close();
          return;
        }
        sent++;
        controller.enqueue(megabyte);
      }
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const out = await readAll(capEvents(endless, 64 * 1024));
    assert.equal(sent, 16, 'the whole 16 MB line was read');
    assert.ok(out.length < 1000, `nothing of the line was passed on (${out.length} characters)`);
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 12 * 1_048_576, 'the line was not held in memory');
  });
});
