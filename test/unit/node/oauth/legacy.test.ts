import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuthClient, OAuthRefusedError } from '../../../../src/node/oauth';
import { MemorySecretStore, testLogger } from '../../../support/fakes';

/**
 * A 2025-03-26 server that publishes no metadata at all (no PRM, no authorization server
 * metadata). docs/security.md A4 refuses it by default; secureMcp.auth.allowLegacyEndpoints
 * opts in to that spec's default endpoints on the server's origin.
 */
describe('OAuth: a server without any metadata (2025-03-26 endpoint fallback)', () => {
  let server: http.Server;
  let origin = '';
  let prm: object | undefined;
  /** What the MCP endpoint itself answers an unauthenticated POST: 401 (a server), or 404 (a URL that is not MCP). */
  let endpointStatus = 401;

  before(async () => {
    server = http.createServer((req, res) => {
      if (prm && req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(prm));
        return;
      }
      res.writeHead(req.url?.startsWith('/.well-known/') ? 404 : endpointStatus).end();
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>(r => server.close(() => r())));
  afterEach(() => { prm = undefined; endpointStatus = 401; });

  const client = (legacyEndpointFallback?: boolean) => new OAuthClient({
    secrets: new MemorySecretStore(),
    logger: testLogger,
    openBrowser: async () => { throw new Error('no browser in this test'); },
    ...(legacyEndpointFallback ? { legacyEndpointFallback } : {})
  });

  it('is refused by default (A4), and the refusal names the setting that opts in', async () => {
    await assert.rejects(client().discover(new URL(`${origin}/mcp`)),
      (e: unknown) => e instanceof OAuthRefusedError && e.refusal === 'no-metadata' && /secureMcp\.auth\.allowLegacyEndpoints/.test(e.message));
  });

  it('a URL that answers 404 is not an MCP endpoint: said so, without suggesting a setting that weakens security', async () => {
    endpointStatus = 404;
    for (const optedIn of [false, true]) {
      await assert.rejects(client(optedIn).discover(new URL(`${origin}/not-mcp`)), (e: unknown) => e instanceof OAuthRefusedError
        && e.refusal === 'not-mcp-endpoint' && /404/.test(e.message) && /secureMcp\.serverUrl/.test(e.message) && !/allowLegacyEndpoints/.test(e.message));
    }
  });

  it('opted in: /authorize, /token and /register on the server\'s origin, with PKCE S256', async () => {
    const d = await client(true).discover(new URL(`${origin}/mcp`));
    assert.equal(d.legacy, true);
    assert.equal(d.metadata.authorization_endpoint, `${origin}/authorize`);
    assert.equal(d.metadata.token_endpoint, `${origin}/token`);
    assert.equal(d.metadata.registration_endpoint, `${origin}/register`);
    assert.deepEqual(d.metadata.code_challenge_methods_supported, ['S256']);
  });

  it('opted in, but the server has Protected Resource Metadata naming an AS without metadata: still refused', async () => {
    prm = { resource: `${origin}/mcp`, authorization_servers: [`${origin}/as`] };
    await assert.rejects(client(true).discover(new URL(`${origin}/mcp`)), (e: unknown) => e instanceof OAuthRefusedError && e.refusal === 'no-metadata');
  });
});
