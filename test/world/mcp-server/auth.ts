/**
 * Bearer authentication as an Entra-protected API does it (docs/security.md B8, C1–C8), the
 * step-up challenge for tools that need more scope, and the Protected Resource Metadata
 * (RFC 9728) every challenge points to.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import type express from 'express';
import { buildChallenge, type AuthenticatedUser, type BearerValidator } from '../bearer';
import { jsonRpcError, MCP_PATH, SSE_PATH } from './http';

/** `<origin>/.well-known/oauth-protected-resource<path>`: where the metadata of the endpoint at `path` lives. */
export type MetadataUrl = (path: string) => string;

/** Removes the bearer token from a request before the SDK sees it (C7: never passed downstream). */
function stripAuthorization(req: http.IncomingMessage): void {
  delete req.headers.authorization;
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() === 'authorization') {
      raw.splice(i, 2);
    }
  }
}

export const userOf = (res: express.Response): AuthenticatedUser => res.locals.user as AuthenticatedUser;

export interface Authenticator {
  /** Middleware for an endpoint whose challenges name the metadata of `metadataPath`. */
  authenticate(metadataPath: string): express.RequestHandler;
  revokeTokensSeenSoFar(): void;
}

/** Every request is authenticated on its own; a session id never stands in for a token (B8). */
export function createAuthenticator(context: {
  validate: BearerValidator;
  origin: string;
  requiredScope: string;
  metadataUrl: MetadataUrl;
  log: (line: string) => void;
}): Authenticator {
  const { validate, origin, requiredScope, metadataUrl, log } = context;
  // Hashes of tokens accepted so far, and of those revoked (see revokeTokensSeenSoFar); never the tokens.
  const seenTokens = new Set<string>();
  let revokedTokens = new Set<string>();
  const tokenHash = (token: string) => crypto.createHash('sha256').update(token).digest('base64url');
  const authenticate = (metadataPath: string): express.RequestHandler => async (req, res, next) => {
    const resourceMetadata = metadataUrl(metadataPath);
    if (new URL(req.originalUrl, origin).searchParams.has('access_token')) {
      // RFC 6750 §2.3 URI tokens end up in logs and histories; refuse them outright.
      res.set('WWW-Authenticate', buildChallenge({ error: 'invalid_request', description: 'tokens in the query string are not accepted', resourceMetadata }));
      jsonRpcError(res, 400, -32000, 'Bad Request: access_token in the URL is not accepted');
      return;
    }
    if (req.rawHeaders.filter((_, i) => i % 2 === 0 && req.rawHeaders[i]!.toLowerCase() === 'authorization').length > 1) {
      // C9: Node keeps only the first; which one the client meant is unknowable (RFC 6750 section 3.1).
      res.set('WWW-Authenticate', buildChallenge({ error: 'invalid_request', description: 'more than one Authorization header', resourceMetadata }));
      jsonRpcError(res, 400, -32000, 'Bad Request: more than one Authorization header');
      return;
    }
    const header = req.headers.authorization;
    const match = header ? /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header) : null;
    if (!match) {
      res.set('WWW-Authenticate', header
        ? buildChallenge({ error: 'invalid_token', description: 'malformed Authorization header', resourceMetadata })
        : buildChallenge({ resourceMetadata }));
      jsonRpcError(res, 401, -32001, 'Unauthorized');
      return;
    }
    let result = await validate(match[1]!);
    const hash = tokenHash(match[1]!);
    stripAuthorization(req);
    if (result.ok && revokedTokens.has(hash)) {
      result = { ok: false, status: 401, error: 'invalid_token', description: 'the token was revoked' };
    } else if (result.ok && seenTokens.size < 10_000) {
      seenTokens.add(hash);
    }
    if (!result.ok) {
      log(`[mcp] ${result.status} ${result.error}: ${result.description}`);
      res.set('WWW-Authenticate', buildChallenge({
        error: result.error,
        description: result.description,
        ...(result.error === 'insufficient_scope' ? { scope: requiredScope } : {}),
        resourceMetadata
      }));
      jsonRpcError(res, result.status, -32001, result.status === 403 ? 'Forbidden' : 'Unauthorized');
      return;
    }
    res.locals.user = result.user;
    next();
  };
  return {
    authenticate,
    revokeTokensSeenSoFar() {
      revokedTokens = new Set([...revokedTokens, ...seenTokens]);
    }
  };
}

export interface StepUp {
  /** Middleware, after the body is parsed, for the endpoint whose metadata lives at `metadataPath`. */
  guard(metadataPath: string): express.RequestHandler;
  /** Tool calls refused so far. */
  readonly challenges: number;
}

/** 403 for a `tools/call` whose tool needs a scope the token lacks, as MCP's step-up flow expects. */
export function createStepUp(context: {
  toolScopes: Map<string, string>;
  requiredScope: string;
  metadataUrl: MetadataUrl;
  log: (line: string) => void;
}): StepUp {
  const { toolScopes, requiredScope, metadataUrl, log } = context;
  let challenges = 0;
  const guard = (metadataPath: string): express.RequestHandler => (req, res, next) => {
    const messages: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
    const user = userOf(res);
    for (const m of messages) {
      const call = m as { method?: unknown; params?: { name?: unknown } } | null;
      const needed = call?.method === 'tools/call' && typeof call.params?.name === 'string' ? toolScopes.get(call.params.name) : undefined;
      if (needed && !user.scopes.includes(needed)) {
        challenges++;
        log(`[mcp] 403 insufficient_scope: ${String(call?.params?.name)} needs ${needed}`);
        res.set('WWW-Authenticate', buildChallenge({
          error: 'insufficient_scope',
          description: `this tool needs the ${needed} scope`,
          scope: [...new Set([...user.scopes, requiredScope, needed])].join(' '),
          resourceMetadata: metadataUrl(metadataPath)
        }));
        jsonRpcError(res, 403, -32001, 'Forbidden');
        return;
      }
    }
    next();
  };
  return {
    guard,
    get challenges() {
      return challenges;
    }
  };
}

/** Path-inserted documents for both endpoints, and the root one for clients that look there first. */
export function serveProtectedResourceMetadata(app: express.Express, context: {
  authorizationServer: string;
  scopesSupported: string[];
  url: string;
  sseUrl: string;
}): void {
  const prm = (resource: string) => ({
    resource,
    authorization_servers: [context.authorizationServer],
    scopes_supported: context.scopesSupported,
    bearer_methods_supported: ['header'],
    resource_name: 'Secure MCP local world server'
  });
  app.get(`/.well-known/oauth-protected-resource${MCP_PATH}`, (_req, res) => void res.json(prm(context.url)));
  app.get(`/.well-known/oauth-protected-resource${SSE_PATH}`, (_req, res) => void res.json(prm(context.sseUrl)));
  app.get('/.well-known/oauth-protected-resource', (_req, res) => void res.json(prm(context.url)));
}
