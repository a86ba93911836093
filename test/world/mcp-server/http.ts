/** The endpoints of the world MCP server and the HTTP answers every route shares. */
import type express from 'express';
import { isLoopbackHost, isLoopbackOrigin } from '../net';

/** Streamable HTTP. */
export const MCP_PATH = '/mcp';
/** Legacy HTTP+SSE: the event stream (GET) and the messages clients post to it. */
export const SSE_PATH = '/sse';
export const MESSAGES_PATH = '/messages';

export function jsonRpcError(res: express.Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** DNS-rebinding protection (B8): only loopback Host and, when present, loopback Origin. */
export function guardOrigin(log: (line: string) => void): express.RequestHandler {
  return (req, res, next) => {
    const requestOrigin = req.headers.origin;
    if (!isLoopbackHost(req.headers.host) || (requestOrigin !== undefined && !isLoopbackOrigin(requestOrigin))) {
      log(`[mcp] refused origin ${requestOrigin ?? '-'} host ${req.headers.host ?? '-'}`);
      jsonRpcError(res, 403, -32000, 'Forbidden: origin not allowed');
      return;
    }
    next();
  };
}

/** Last in the chain: the client learns only that it failed; the log says why. */
export function internalError(log: (line: string) => void): express.ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    log(`[mcp] internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (!res.headersSent) {
      jsonRpcError(res, 500, -32603, 'Internal error');
    }
  };
}
