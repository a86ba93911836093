import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  StreamableHTTPClientTransport,
  type JSONRPCMessage,
  type RequestId,
  type TransportSendOptions
} from '@modelcontextprotocol/client';

/** Marks the JSON-RPC error that answers a request whose response stream ended without its answer. */
export const STREAM_LOST = 'secure-mcp/stream-lost';

/**
 * Streamable HTTP that answers every request, even when the server does not (F9): when a
 * request's response stream ends without its answer (the server closed the connection,
 * or died), the request gets a JSON-RPC error for its own id at once, instead of waiting
 * out its timeout. On 2025-11-25 the SDK reports the end only after it has tried to resume
 * the stream (Last-Event-ID); 2026-07-28 streams are not resumable.
 */
export class AnsweringTransport extends StreamableHTTPClientTransport {
  /** Requests sent and not yet answered. */
  private readonly unanswered = new Set<RequestId>();
  private watching: StreamableHTTPClientTransport['onmessage'];

  override send(message: JSONRPCMessage | JSONRPCMessage[], options?: TransportSendOptions): Promise<void> {
    const requests = (Array.isArray(message) ? message : [message]).filter(isJSONRPCRequest);
    if (!requests.length) {
      return super.send(message, options);
    }
    this.watchAnswers();
    for (const r of requests) {
      this.unanswered.add(r.id);
    }
    const ended = () => {
      // An answer that came on this stream has passed `onmessage` (and left `unanswered`) before the stream ends.
      for (const r of requests) {
        if (this.unanswered.delete(r.id)) {
          this.onmessage?.({ jsonrpc: '2.0', id: r.id, error: { code: -32000, message: 'The connection to the MCP server closed before it answered.', data: { reason: STREAM_LOST } } });
        }
      }
    };
    return super.send(message, { ...options, onRequestStreamEnd: () => { options?.onRequestStreamEnd?.(); ended(); } }).catch((e: unknown) => {
      // The request failed to send and fails with that error; nothing is left to answer.
      for (const r of requests) {
        this.unanswered.delete(r.id);
      }
      throw e;
    });
  }

  override async close(): Promise<void> {
    this.unanswered.clear();
    await super.close();
  }

  /** Notes each answer on its way to the client (which sets `onmessage` when it connects). */
  private watchAnswers(): void {
    const inner = this.onmessage;
    if (!inner || inner === this.watching) {
      return;
    }
    this.watching = (m: JSONRPCMessage, ...rest: unknown[]) => {
      if (isJSONRPCResultResponse(m) || isJSONRPCErrorResponse(m)) {
        this.unanswered.delete(m.id as RequestId);
      }
      (inner as (m: JSONRPCMessage, ...rest: unknown[]) => void)(m, ...rest);
    };
    this.onmessage = this.watching;
  }
}
