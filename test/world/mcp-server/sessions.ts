/**
 * The transports clients reach a session's tool server through: Streamable HTTP, and the
 * legacy HTTP+SSE (2024-11-05) for clients' fallback path.
 */
import * as crypto from 'node:crypto';
import express from 'express';
import type { RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { AuthenticatedUser } from '../bearer';
import { userOf } from './auth';
import { jsonRpcError, MCP_PATH, MESSAGES_PATH, SSE_PATH } from './http';
import type { TransportKind } from './options';
import type { ToolServer } from './tool-server';

export interface Session {
  oid: string;
  tid: string;
  kind: TransportKind;
  close(): Promise<void>;
  handle(req: express.Request, res: express.Response): Promise<void>;
  tools: Map<string, RegisteredTool>;
}

export interface TransportContext {
  sessions: Map<string, Session>;
  guardOrigin: express.RequestHandler;
  authenticate(metadataPath: string): express.RequestHandler;
  /** Needs the parsed body. */
  stepUp(metadataPath: string): express.RequestHandler;
  createToolServer(user: AuthenticatedUser, kind: TransportKind, getSessionId: () => string | undefined): ToolServer;
}

export function serveTransports(app: express.Express, context: TransportContext): void {
  const { sessions, guardOrigin, authenticate, stepUp, createToolServer } = context;
  const jsonBody = express.json({ limit: '4mb' });

  /** A session answers only to the user who created it; others get the same 404 as a stale id. */
  const sessionFor = (id: string | undefined, user: AuthenticatedUser, kind: TransportKind): Session | undefined => {
    const session = id ? sessions.get(id) : undefined;
    if (!session || session.kind !== kind || session.oid !== user.oid || session.tid !== user.tid) {
      return undefined;
    }
    return session;
  };

  app.post(MCP_PATH, guardOrigin, authenticate(MCP_PATH), jsonBody, stepUp(MCP_PATH), async (req, res, next) => {
    try {
      const user = userOf(res);
      const sessionId = req.headers['mcp-session-id'];
      if (typeof sessionId === 'string') {
        const session = sessionFor(sessionId, user, 'streamable-http');
        if (!session) {
          jsonRpcError(res, 404, -32001, 'Session not found');
          return;
        }
        await session.handle(req, res);
        return;
      }
      if (!isInitializeRequest(req.body)) {
        jsonRpcError(res, 400, -32000, 'Bad Request: no session id, and not an initialize request');
        return;
      }
      // A CSPRNG id (B8), chosen up front so the tool server can record it.
      const newSessionId = crypto.randomUUID();
      const { mcp, tools, connect } = createToolServer(user, 'streamable-http', () => newSessionId);
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => newSessionId,
        onsessioninitialized: (id) => {
          sessions.set(id, {
            oid: user.oid, tid: user.tid, kind: 'streamable-http', tools,
            handle: (rq, rs) => transport.handleRequest(rq, rs, rq.body),
            close: () => mcp.close()
          });
        }
      });
      transport.onclose = () => void sessions.delete(newSessionId);
      await connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      next(err);
    }
  });
  const existingSession: express.RequestHandler = async (req, res, next) => {
    try {
      const sessionId = req.headers['mcp-session-id'];
      const session = sessionFor(typeof sessionId === 'string' ? sessionId : undefined, userOf(res), 'streamable-http');
      if (!session) {
        jsonRpcError(res, typeof sessionId === 'string' ? 404 : 400, -32000, typeof sessionId === 'string' ? 'Session not found' : 'Bad Request: no session id');
        return;
      }
      await session.handle(req, res);
    } catch (err) {
      next(err);
    }
  };
  app.get(MCP_PATH, guardOrigin, authenticate(MCP_PATH), existingSession);
  app.delete(MCP_PATH, guardOrigin, authenticate(MCP_PATH), existingSession);

  app.get(SSE_PATH, guardOrigin, authenticate(SSE_PATH), async (_req, res, next) => {
    try {
      const user = userOf(res);
      const transport = new SSEServerTransport(MESSAGES_PATH, res);
      const { mcp, tools, connect } = createToolServer(user, 'sse', () => transport.sessionId);
      sessions.set(transport.sessionId, {
        oid: user.oid, tid: user.tid, kind: 'sse', tools,
        handle: (rq, rs) => transport.handlePostMessage(rq, rs, rq.body),
        close: () => mcp.close()
      });
      transport.onclose = () => void sessions.delete(transport.sessionId);
      await connect(transport);
    } catch (err) {
      next(err);
    }
  });
  app.post(MESSAGES_PATH, guardOrigin, authenticate(SSE_PATH), jsonBody, stepUp(SSE_PATH), async (req, res, next) => {
    try {
      const id = typeof req.query.sessionId === 'string' ? req.query.sessionId : undefined;
      const session = sessionFor(id, userOf(res), 'sse');
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
