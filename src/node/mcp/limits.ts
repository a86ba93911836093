import type { FetchLike } from '../auth/authFetch';

/** Marks the JSON-RPC error that replaces an oversized response, so the session can name the cause. */
export const RESULT_TOO_LARGE = 'secure-mcp/result-too-large';

const encoder = new TextEncoder();

/**
 * Caps the body of every response to a POST (where tool results arrive) at
 * `maxBytes`, so a hostile or broken server cannot fill memory. Past the cap the rest
 * is dropped and the request is answered with a JSON-RPC error for its own id, which
 * fails exactly the call that asked, instead of hanging it until the timeout. The
 * long-lived GET event stream is left alone.
 */
export function limitResponseBytes(base: FetchLike, maxBytes: number): FetchLike {
  return async (input, init) => {
    const response = await base(input, init);
    if ((init?.method ?? 'GET').toUpperCase() !== 'POST' || !response.body || !response.ok) {
      return response;
    }
    // The request's id is only needed to answer an oversized response, so it is read then.
    const tooLarge = (seen: number) => JSON.stringify({
      jsonrpc: '2.0',
      id: requestId(init?.body),
      error: { code: -32603, message: `The server's response passed ${maxBytes} bytes (at ${seen} bytes) and was dropped; the limit is the setting secureMcp.limits.maxResultBytes.`, data: { reason: RESULT_TOO_LARGE, maxBytes } }
    });
    const sse = (response.headers.get('content-type') ?? '').toLowerCase().includes('text/event-stream');
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (!sse && declared <= maxBytes) {
      // A declared length within the cap: fetch enforces it, nothing to count.
      return response;
    }
    // An event stream has no length to correct; only a replaced JSON body needs new headers.
    let headers = response.headers;
    if (!sse) {
      headers = new Headers(response.headers);
      headers.delete('content-length');
    }
    if (!sse && declared > maxBytes) {
      await response.body.cancel();
      return new Response(tooLarge(declared), { status: response.status, statusText: response.statusText, headers });
    }
    // A pull-based stream costs about half of pipeThrough(TransformStream) per response.
    const reader = response.body.getReader();
    let seen = 0;
    let done = false;
    const buffered: Uint8Array[] = [];
    const counted = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // A pull that enqueues nothing is never followed by another, so a held JSON body
        // is read on here until it ends or passes the cap.
        for (;;) {
          if (done) {
            controller.close();
            return;
          }
          const chunk = await reader.read();
          if (chunk.done) {
            done = true;
            for (const b of buffered) {
              controller.enqueue(b);
            }
            controller.close();
            return;
          }
          seen += chunk.value.byteLength;
          if (seen > maxBytes) {
            done = true;
            await reader.cancel();
            // A blank line first ends any event cut off mid-way; a JSON body is replaced whole.
            controller.enqueue(encoder.encode(sse ? `\n\nevent: message\ndata: ${tooLarge(seen)}\n\n` : tooLarge(seen)));
            controller.close();
            return;
          }
          if (sse) {
            controller.enqueue(chunk.value);
            return;
          }
          // A JSON body without a length can only be replaced whole, so it is held (at most maxBytes).
          buffered.push(chunk.value);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      }
    });
    return new Response(counted, { status: response.status, statusText: response.statusText, headers });
  };
}

function requestId(body: unknown): string | number | null {
  if (typeof body !== 'string') {
    return null;
  }
  try {
    const message = JSON.parse(body) as { id?: unknown };
    return typeof message.id === 'string' || typeof message.id === 'number' ? message.id : null;
  } catch {
    return null;
  }
}
