/**
 * The 2025-era Streamable HTTP wire: an `initialize` opens a session, its id travels in
 * `Mcp-Session-Id`, and each session has a tool server of its own.
 */
import * as crypto from 'node:crypto';
import type express from 'express';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { isInitializeRequest, type RegisteredTool } from '@modelcontextprotocol/server';
import type { AuthenticatedUser } from '../bearer';
import { userOf } from './auth';
import { jsonRpcError } from './http';
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

export interface SessionContext {
  sessions: Map<string, Session>;
  createToolServer(user: AuthenticatedUser, kind: TransportKind, getSessionId: () => string | undefined): ToolServer;
}

/** A session answers only to the user who created it; others get the same 404 as a stale id. */
export function sessionFor(sessions: Map<string, Session>, id: string | undefined, user: AuthenticatedUser, kind: TransportKind): Session | undefined {
  const session = id ? sessions.get(id) : undefined;
  if (!session || session.kind !== kind || session.oid !== user.oid || session.tid !== user.tid) {
    return undefined;
  }
  return session;
}

export interface SessionfulHandlers {
  /** POST, after authentication, the parsed body and the step-up check: `initialize`, or a message of a session. */
  post: express.RequestHandler;
  /** GET (the session's event stream) and DELETE (its end), after authentication. */
  existing: express.RequestHandler;
}

export function sessionfulStreamableHttp(context: SessionContext): SessionfulHandlers {
  const { sessions, createToolServer } = context;

  const post: express.RequestHandler = async (req, res, next) => {
    try {
      const user = userOf(res);
      const sessionId = req.headers['mcp-session-id'];
      if (typeof sessionId === 'string') {
        const session = sessionFor(sessions, sessionId, user, 'streamable-http');
        if (!session) {
          jsonRpcError(res, 404, -32001, 'Session not found');
          return;
        }
        await session.handle(req, res);
        return;
      }
      // Also what a 2026-07-28 `server/discover` probe gets in 2025-11-25 mode: a plain 400,
      // which negotiating clients read as "a 2025 server" and answer with `initialize`.
      if (!isInitializeRequest(req.body)) {
        jsonRpcError(res, 400, -32000, 'Bad Request: no session id, and not an initialize request');
        return;
      }
      // A CSPRNG id (B8), chosen up front so the tool server can record it.
      const newSessionId = crypto.randomUUID();
      const { mcp, tools } = createToolServer(user, 'streamable-http', () => newSessionId);
      const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
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
      await mcp.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      next(err);
    }
  };

  const existing: express.RequestHandler = async (req, res, next) => {
    try {
      const sessionId = req.headers['mcp-session-id'];
      const session = sessionFor(sessions, typeof sessionId === 'string' ? sessionId : undefined, userOf(res), 'streamable-http');
      if (!session) {
        jsonRpcError(res, typeof sessionId === 'string' ? 404 : 400, -32000, typeof sessionId === 'string' ? 'Session not found' : 'Bad Request: no session id');
        return;
      }
      await session.handle(req, res);
    } catch (err) {
      next(err);
    }
  };

  return { post, existing };
}
