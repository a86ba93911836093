/**
 * The 2026-07-28 wire: stateless, each request carries its own `_meta` envelope and gets a tool
 * server of its own. The SDK's `createMcpHandler` serves all of it (`server/discover`, the
 * `input_required` rounds, progress on the POST's response stream, `subscriptions/listen`
 * streams fed by its event bus); bearer validation and step-up run before it, in express, as
 * for the 2025 wire.
 */
import type express from 'express';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, type AuthInfo } from '@modelcontextprotocol/server';
import type { AuthenticatedUser } from '../bearer';
import { userOf } from './auth';
import type { ToolServer } from './tool-server';

export interface ModernEndpoint {
  /** Serves one request, after authentication, the parsed body and the step-up check. */
  handle: express.RequestHandler;
  /** Sends `notifications/tools/list_changed` on every open `subscriptions/listen` stream. */
  toolsChanged(): void;
  close(): Promise<void>;
}

/**
 * The authenticated user rides `authInfo`, the handler's pass-through to the per-request
 * factory. The token itself stays with the authenticator (C7): nothing behind it needs it.
 */
const authInfoOf = (user: AuthenticatedUser): AuthInfo => ({
  token: '', clientId: user.clientId, scopes: user.scopes, expiresAt: user.expiresAt, extra: { user }
});

function userOfAuthInfo(authInfo: AuthInfo | undefined): AuthenticatedUser {
  const user = authInfo?.extra?.user as AuthenticatedUser | undefined;
  if (!user) {
    throw new Error('a 2026-07-28 request reached the tool server without an authenticated user');
  }
  return user;
}

export function createModernEndpoint(context: {
  createToolServer(user: AuthenticatedUser): ToolServer;
  log: (line: string) => void;
}): ModernEndpoint {
  const onerror = (err: Error) => context.log(`[mcp] 2026-07-28: ${err.message}`);
  // 'reject': whatever 2025-era traffic reaches this handler gets the SDK's unsupported-protocol-version
  // error; in dual mode the router sends that traffic to the sessions before it gets here.
  const handler = createMcpHandler(({ authInfo }) => context.createToolServer(userOfAuthInfo(authInfo)).mcp, { legacy: 'reject', onerror });
  const serve = toNodeHandler(handler, { onerror });
  return {
    handle: (req, res, next) => {
      serve(Object.assign(req, { auth: authInfoOf(userOf(res)) }), res, req.body).catch(next);
    },
    toolsChanged: () => handler.notify.toolsChanged(),
    close: () => handler.close()
  };
}
