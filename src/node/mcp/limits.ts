import type { FetchLike } from '../auth/authFetch';

/** Marks the JSON-RPC error that replaces an oversized response, so the session can name the cause. */
export const RESULT_TOO_LARGE = 'secure-mcp/result-too-large';

const encoder = new TextEncoder();

/** List requests, whose answers have their own cap: a big catalogue is not a big tool result. */
const LIST_METHODS = new Set(['tools/list', 'resources/list', 'resources/templates/list', 'prompts/list']);

export interface ResponseLimits {
  /** Any one answer, and any one event on a stream (`secureMcp.limits.maxResultBytes`). */
  readonly maxBytes: number;
  /** One answer to a list request (`secureMcp.limits.maxListBytes`); defaults to `maxBytes`. */
  readonly maxListBytes?: number;
}

function tooLargeError(id: string | number | null, maxBytes: number, seen: number | undefined, setting = 'secureMcp.limits.maxResultBytes'): string {
  const at = seen === undefined ? '' : ` (at ${seen} bytes)`;
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    error: { code: -32603, message: `The server's response passed ${maxBytes} bytes${at} and was dropped; the limit is the setting ${setting}.`, data: { reason: RESULT_TOO_LARGE, maxBytes } }
  });
}

/**
 * Caps what every response may make the client hold, so a hostile or broken server
 * cannot fill memory. A response to a POST (where tool results arrive) is capped at
 * `maxBytes` in all; past the cap the rest is dropped and the request is answered with
 * a JSON-RPC error for its own id, which fails exactly the call that asked instead of
 * hanging it until the timeout. A long-lived event stream (the GET stream, and the
 * legacy SSE transport, where results arrive) is capped per event: see {@link capEvents}.
 */
export function limitResponseBytes(base: FetchLike, limits: ResponseLimits): FetchLike {
  return async (input, init) => {
    const response = await base(input, init);
    if (!response.body || !response.ok) {
      return response;
    }
    const sse = (response.headers.get('content-type') ?? '').toLowerCase().includes('text/event-stream');
    if ((init?.method ?? 'GET').toUpperCase() !== 'POST') {
      return sse ? new Response(capEvents(response.body, limits.maxBytes), { status: response.status, statusText: response.statusText, headers: response.headers }) : response;
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (!sse && declared <= Math.min(limits.maxBytes, limits.maxListBytes ?? limits.maxBytes)) {
      // A declared length within either cap: fetch enforces it, nothing to count, and the
      // request need not be read to know which cap applies.
      return response;
    }
    const request = requestOf(init?.body);
    const list = request.method !== undefined && LIST_METHODS.has(request.method) && limits.maxListBytes !== undefined;
    const maxBytes = list ? limits.maxListBytes! : limits.maxBytes;
    const tooLarge = (seen: number) => tooLargeError(request.id, maxBytes, seen, list ? 'secureMcp.limits.maxListBytes' : undefined);
    if (!sse && declared <= maxBytes) {
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

const LF = 10;
const CR = 13;
/** Bytes kept from each end of an oversized event: enough to find its JSON-RPC id. */
const ENDS = 512;

/**
 * Passes an event stream through one whole event at a time, holding at most `maxBytes`
 * of the current event. An event past the cap is dropped as it arrives (only its first
 * and last bytes are kept); when it ends, an error event for the JSON-RPC id found at
 * either end takes its place, so the call that asked fails at once, naming the limit.
 * An event that never ends costs no more memory than the cap, however long it grows.
 */
export function capEvents(body: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let oversized: { head: Uint8Array; tail: Uint8Array; seen: number } | undefined;
  // Whether the last byte before the current position (CRs aside) was a line feed.
  let afterLineFeed = false;

  const append = (bytes: Uint8Array) => {
    if (!bytes.byteLength) {
      return;
    }
    if (oversized) {
      oversized.seen += bytes.byteLength;
      oversized.tail = lastBytes(oversized.tail, bytes);
      return;
    }
    held.push(bytes);
    heldBytes += bytes.byteLength;
    if (heldBytes > maxBytes) {
      const all = concat(held);
      oversized = { head: all.slice(0, ENDS), tail: all.slice(-ENDS), seen: all.byteLength };
      held = [];
      heldBytes = 0;
    }
  };
  /** Ends the current event; returns what to hand on (the event, or the error in its place). */
  const endEvent = (): Uint8Array | undefined => {
    if (oversized) {
      const { head, tail, seen } = oversized;
      oversized = undefined;
      return encoder.encode(`event: message\ndata: ${tooLargeError(eventId(head, tail), maxBytes, seen)}\n\n`);
    }
    const event = held.length ? concat(held) : undefined;
    held = [];
    heldBytes = 0;
    return event;
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Nothing is handed on until an event ends, and a pull that enqueues nothing is never followed by another.
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) {
          const rest = endEvent();
          if (rest) {
            controller.enqueue(rest);
          }
          controller.close();
          return;
        }
        let enqueued = false;
        const bytes = chunk.value;
        let start = 0;
        for (let i = 0; i < bytes.length; i++) {
          const b = bytes[i];
          if (b === CR) {
            continue;
          }
          if (b !== LF) {
            afterLineFeed = false;
            // Jump to the next line feed: the bytes in between are event content.
            const next = bytes.indexOf(LF, i);
            i = (next < 0 ? bytes.length : next) - 1;
            continue;
          }
          if (afterLineFeed) {
            // A blank line: the event ends here, this line feed included.
            append(bytes.subarray(start, i + 1));
            start = i + 1;
            const event = endEvent();
            if (event) {
              controller.enqueue(event);
              enqueued = true;
            }
            afterLineFeed = false;
          } else {
            afterLineFeed = true;
          }
        }
        append(bytes.subarray(start));
        if (enqueued) {
          return;
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    }
  });
}

/** The parts as one array; a single part is handed on without a copy. */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function lastBytes(tail: Uint8Array, more: Uint8Array): Uint8Array {
  if (more.byteLength >= ENDS) {
    return more.slice(-ENDS);
  }
  return concat([tail, more]).slice(-ENDS);
}

const ID = String.raw`("(?:[^"\\]|\\.)*"|-?\d+)`;

/** The JSON-RPC id of an event cut short: the envelope's `id` is at its start or its end. */
function eventId(head: Uint8Array, tail: Uint8Array): string | number | null {
  const decoder = new TextDecoder();
  const found = new RegExp(`"id"\\s*:\\s*${ID}\\s*}\\s*$`).exec(decoder.decode(tail).trimEnd())
    ?? new RegExp(`^(?:event:[^\\n]*\\n)?data:\\s*{\\s*(?:"jsonrpc"\\s*:\\s*"2\\.0"\\s*,\\s*)?"id"\\s*:\\s*${ID}`).exec(decoder.decode(head));
  if (!found?.[1]) {
    return null;
  }
  try {
    return JSON.parse(found[1]) as string | number;
  } catch {
    return null;
  }
}

/** The id and method of a JSON-RPC request body (a batch or anything else has neither). */
function requestOf(body: unknown): { id: string | number | null; method?: string } {
  if (typeof body !== 'string') {
    return { id: null };
  }
  try {
    const message = JSON.parse(body) as { id?: unknown; method?: unknown };
    return {
      id: typeof message.id === 'string' || typeof message.id === 'number' ? message.id : null,
      ...(typeof message.method === 'string' ? { method: message.method } : {})
    };
  } catch {
    return { id: null };
  }
}
