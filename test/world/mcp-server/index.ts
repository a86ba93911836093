/**
 * The secure MCP server of the local world: the MCP SDK's server behind bearer
 * validation shaped like an Entra-protected API (docs/security.md B8, C1–C8), with the
 * tools the extension must cope with and hooks that let tests see what reached it.
 * It speaks MCP 2026-07-28, the 2025 era, or both (`SecureMcpServerOptions.protocol`).
 */
import * as http from 'node:http';
import express from 'express';
import { createBearerValidator, createJwksResolver, type AuthenticatedUser } from '../bearer';
import { closeServer, listen, LOOPBACK_HOST } from '../net';
import { createAuthenticator, createStepUp, serveProtectedResourceMetadata } from './auth';
import type { Faults } from './faults';
import { guardOrigin, internalError, MCP_PATH, SSE_PATH } from './http';
import { createModernEndpoint } from './modern';
import { isProtocolMode, resolveTokenPolicy, type SecureMcpServer, type SecureMcpServerOptions, type ToolCallRecord, type TransportKind } from './options';
import { byProtocol } from './protocol';
import { sessionfulStreamableHttp, type Session } from './sessions';
import { serveSse } from './sse';
import { createToolServer } from './tool-server';
import { WORLD_TOOLS } from './tools';

export type { ProtocolMode, SecureMcpServer, SecureMcpServerOptions, ToolCallRecord } from './options';
export { isProtocolMode, PROTOCOL_MODES } from './options';
export { weatherFor } from './tools/weather';

export async function startSecureMcpServer(options: SecureMcpServerOptions = {}): Promise<SecureMcpServer> {
  const { issuers, audiences, jwksUri, tenantId, requiredScope } = resolveTokenPolicy(options);
  const protocol = options.protocol ?? 'dual';
  if (!isProtocolMode(protocol)) {
    throw new Error(`unknown MCP protocol mode ${String(protocol)}`);
  }
  const log = options.log ?? (() => undefined);
  const jwks = createJwksResolver(jwksUri, options.jwks);
  const validate = createBearerValidator({
    issuers,
    audiences,
    requiredScope,
    jwks,
    ...(tenantId !== undefined ? { tenantId } : {}),
    ...(options.clockToleranceSeconds !== undefined ? { clockToleranceSeconds: options.clockToleranceSeconds } : {})
  });
  const toolScopes = new Map(Object.entries(options.toolScopes ?? {}));
  const scopesSupported = options.scopesSupported ?? [...new Set([requiredScope, ...toolScopes.values()])];
  const faults: Faults = { structuredOutputBroken: false };

  const calls: ToolCallRecord[] = [];
  const sessions = new Map<string, Session>();
  const descriptions = new Map(WORLD_TOOLS.map((tool) => [tool.name, tool.description]));

  const requests: { method: string; path: string; issuer?: string }[] = [];
  const app = express();
  app.disable('x-powered-by');
  app.use((req, _res, next) => {
    // Whose token came with it (read, not verified: the log shows what a client sent, accepted or not).
    const issuer = bearerIssuer(req.headers.authorization);
    requests.push({ method: req.method, path: req.path, ...(issuer !== undefined ? { issuer } : {}) });
    next();
  });
  const server = http.createServer(app);
  const port = await listen(server, options.port ?? 0);
  const origin = `http://${LOOPBACK_HOST}:${port}`;
  const url = `${origin}${MCP_PATH}`;
  const sseUrl = `${origin}${SSE_PATH}`;
  const metadataUrl = (path: string) => `${origin}/.well-known/oauth-protected-resource${path}`;

  const auth = createAuthenticator({ validate, origin, requiredScope, metadataUrl, log });
  const stepUp = createStepUp({ toolScopes, requiredScope, metadataUrl, log });
  serveProtectedResourceMetadata(app, { authorizationServer: issuers[0]!, scopesSupported, url, sseUrl });
  const shared = { calls, descriptions, origin, slowTaskTickMs: options.slowTaskTickMs ?? 1000, faults };
  const sessionContext = {
    sessions,
    createToolServer: (user: AuthenticatedUser, kind: TransportKind, getSessionId: () => string | undefined) => createToolServer(shared, user, kind, getSessionId)
  };
  const sessionful = sessionfulStreamableHttp(sessionContext);
  const modern = createModernEndpoint({ createToolServer: (user) => createToolServer(shared, user, 'streamable-http-2026', () => undefined), log });
  const jsonBody = express.json({ limit: '4mb' });
  const originGuard = guardOrigin(log);
  // Origin, token and step-up are checked before the protocol is even looked at: both wires get the same gate.
  const checked = [originGuard, auth.authenticate(MCP_PATH)];
  app.route(MCP_PATH)
    .post(...checked, jsonBody, stepUp.guard(MCP_PATH), byProtocol(protocol, sessionful.post, modern.handle))
    .get(...checked, byProtocol(protocol, sessionful.existing, modern.handle))
    .delete(...checked, byProtocol(protocol, sessionful.existing, modern.handle));
  if (protocol !== '2026-07-28') {
    serveSse(app, { ...sessionContext, guardOrigin: originGuard, authenticate: auth.authenticate, jsonBody, stepUp: stepUp.guard });
  }
  app.use(internalError(log));

  return {
    protocol,
    url,
    sseUrl,
    origin,
    resourceMetadataUrl: metadataUrl(MCP_PATH),
    issuers,
    audiences,
    requiredScope,
    calls,
    requests,
    get stepUpChallenges() {
      return stepUp.challenges;
    },
    get sessionCount() {
      return sessions.size;
    },
    get jwksFetches() {
      return jwks.fetches;
    },
    toolNames: WORLD_TOOLS.map((tool) => tool.name),
    changeToolDefinition(name: string, newDescription: string) {
      if (!descriptions.has(name)) {
        throw new Error(`no tool named ${name}`);
      }
      descriptions.set(name, newDescription);
      // RegisteredTool.update sends notifications/tools/list_changed on each connected session;
      // 2026-07-28 tool servers live for one request and read `descriptions` when made.
      for (const session of sessions.values()) {
        session.tools.get(name)?.update({ description: newDescription });
      }
      modern.toolsChanged();
    },
    revokeTokensSeenSoFar: () => auth.revokeTokensSeenSoFar(),
    breakStructuredOutput(on: boolean) {
      faults.structuredOutputBroken = on;
    },
    async close() {
      await Promise.allSettled([modern.close(), ...[...sessions.values()].map((s) => s.close())]);
      sessions.clear();
      await closeServer(server);
    }
  };
}

/** The `iss` claim of a bearer JWT, unverified; '' for a bearer that is not a readable JWT. */
function bearerIssuer(header: string | undefined): string | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (!token) {
    return undefined;
  }
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof claims.iss === 'string' ? claims.iss : '';
  } catch {
    return '';
  }
}
