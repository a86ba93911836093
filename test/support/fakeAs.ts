import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Knobs of a deliberately misbehaving MCP server + authorization server on one loopback port. */
export interface FakeConfig {
  prmResource?: (origin: string) => string;
  authorizationServers?: (origin: string) => string[];
  issuer?: (origin: string) => string;
  metadata?: (origin: string) => Record<string, unknown>;
  /** Query parameters the authorize endpoint puts on the redirect back (given the request's). */
  redirectParams?: (query: URLSearchParams) => Record<string, string | undefined>;
}

export interface FakeAs {
  origin: string;
  serverUrl: string;
  requests: { path: string; method: string; query: URLSearchParams; body: string }[];
  config: FakeConfig;
  count(path: string): number;
  close(): Promise<void>;
}

export async function startFakeAs(config: FakeConfig = {}): Promise<FakeAs> {
  const requests: FakeAs['requests'] = [];
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    let body = '';
    req.on('data', c => { body += String(c); });
    req.on('end', () => {
      requests.push({ path: url.pathname, method: req.method ?? 'GET', query: url.searchParams, body });
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (url.pathname === '/mcp') {
        json(401, { error: 'invalid_token' }, { 'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp", scope="tools"` });
      } else if (url.pathname === '/.well-known/oauth-protected-resource/mcp') {
        json(200, { resource: config.prmResource?.(origin) ?? `${origin}/mcp`, authorization_servers: config.authorizationServers?.(origin) ?? [`${origin}/as`], scopes_supported: ['tools'] });
      } else if (url.pathname === '/.well-known/oauth-authorization-server/as') {
        json(200, {
          issuer: config.issuer?.(origin) ?? `${origin}/as`,
          authorization_endpoint: `${origin}/as/authorize`,
          token_endpoint: `${origin}/as/token`,
          registration_endpoint: `${origin}/as/register`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'refresh_token'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none'],
          ...config.metadata?.(origin)
        });
      } else if (url.pathname === '/as/register') {
        json(201, { client_id: 'fake-client', redirect_uris: (JSON.parse(body) as { redirect_uris: string[] }).redirect_uris, token_endpoint_auth_method: 'none' });
      } else if (url.pathname === '/as/authorize') {
        const target = new URL(url.searchParams.get('redirect_uri') ?? '');
        const params = config.redirectParams?.(url.searchParams) ?? { code: `code-${requests.length}`, state: url.searchParams.get('state') ?? undefined };
        for (const [k, v] of Object.entries(params)) {
          if (v !== undefined) {
            target.searchParams.set(k, v);
          }
        }
        res.writeHead(302, { location: target.href });
        res.end();
      } else if (url.pathname === '/as/token') {
        json(200, { access_token: `at-${requests.length}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `rt-${requests.length}` });
      } else {
        json(404, { error: 'not_found' });
      }
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    serverUrl: `${origin}/mcp`,
    requests,
    config,
    count: path => requests.filter(r => r.path === path).length,
    close: () => new Promise<void>(r => { server.closeAllConnections(); server.close(() => r()); })
  };
}
