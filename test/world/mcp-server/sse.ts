/**
 * Legacy HTTP+SSE (2024-11-05), for clients' fallback path: an event stream (GET) and the
 * messages posted to it. The v2 SDK has no server transport for this wire, so this one
 * transport stays on the v1 SDK (`@modelcontextprotocol/sdk`); the tool server behind it is
 * the same v2 McpServer the other wires use.
 */
import type express from 'express';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { userOf } from './auth';
import { jsonRpcError, MESSAGES_PATH, SSE_PATH } from './http';
import { sessionFor, type SessionContext } from './sessions';

export function serveSse(app: express.Express, context: SessionContext & {
  guardOrigin: express.RequestHandler;
  authenticate(metadataPath: string): express.RequestHandler;
  jsonBody: express.RequestHandler;
  /** Needs the parsed body. */
  stepUp(metadataPath: string): express.RequestHandler;
}): void {
  const { sessions, guardOrigin, authenticate, jsonBody, stepUp, createToolServer } = context;

  app.get(SSE_PATH, guardOrigin, authenticate(SSE_PATH), async (_req, res, next) => {
    try {
      const user = userOf(res);
      const transport = new SSEServerTransport(MESSAGES_PATH, res);
      const { mcp, tools } = createToolServer(user, 'sse', () => transport.sessionId);
      sessions.set(transport.sessionId, {
        oid: user.oid, tid: user.tid, kind: 'sse', tools,
        handle: (rq, rs) => transport.handlePostMessage(rq, rs, rq.body),
        close: () => mcp.close()
      });
      transport.onclose = () => void sessions.delete(transport.sessionId);
      await mcp.connect(transport);
    } catch (err) {
      next(err);
    }
  });
  app.post(MESSAGES_PATH, guardOrigin, authenticate(SSE_PATH), jsonBody, stepUp(SSE_PATH), async (req, res, next) => {
    try {
      const id = typeof req.query.sessionId === 'string' ? req.query.sessionId : undefined;
      const session = sessionFor(sessions, id, userOf(res), 'sse');
      if (!session) {
        jsonRpcError(res, 404, -32001, 'Session not found');
        return;
      }
      await session.handle(req, res);
    } catch (err) {
      next(err);
    }
  });
}
