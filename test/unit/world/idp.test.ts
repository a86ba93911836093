import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startWorld, type World } from '../../world/index';
import { Browser } from '../../world/headless';

function pkce(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString()
});

describe('world identity provider', function () {
  this.timeout(10_000);
  let world: World;

  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world.close();
  });

  async function signIn(opts: { username: string; password: string; clientId?: string; scope?: string; resource?: string; consent?: 'accept' | 'deny' }) {
    const browser = new Browser();
    const redirectUri = 'http://127.0.0.1:53682/';
    const { verifier, challenge } = pkce();
    const state = crypto.randomBytes(16).toString('base64url');
    const authorize = new URL(world.idp.authorizationEndpoint);
    authorize.search = new URLSearchParams({
      client_id: opts.clientId ?? world.extensionClientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: opts.scope ?? `openid profile offline_access ${world.fullScope}`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      ...(opts.resource ? { resource: opts.resource } : {})
    }).toString();
    let step = await browser.follow(authorize.href, redirectUri);
    assert.equal(step.res.status, 200, 'login page');
    const loginHtml = await step.res.text();
    assert.match(loginHtml, /<input id="username" name="username"/);
    assert.match(loginHtml, /<input id="password" name="password" type="password"/);
    assert.match(loginHtml, /id="sign-in"/);
    step = await browser.follow(`${step.url}/login`, redirectUri, form({ username: opts.username, password: opts.password }));
    if (step.res.status === 200 && !step.url.startsWith(redirectUri)) {
      const html = await step.res.text();
      if (html.includes('id="consent-form"')) {
        step = await browser.follow(`${step.url}/confirm`, redirectUri, form({ decision: opts.consent ?? 'accept' }));
      } else {
        return { error: html };
      }
    }
    const callback = new URL(step.url);
    assert.equal(callback.searchParams.get('state'), state);
    assert.equal(callback.searchParams.get('iss'), world.idp.issuer, 'RFC 9207 iss');
    const code = callback.searchParams.get('code');
    if (!code) {
      return { callbackError: callback.searchParams.get('error') ?? 'no code' };
    }
    const tokenRes = await fetch(world.idp.tokenEndpoint, form({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri,
      client_id: opts.clientId ?? world.extensionClientId, code_verifier: verifier,
      ...(opts.resource ? { resource: opts.resource } : {})
    }));
    const tokens = await tokenRes.json() as { access_token?: string; refresh_token?: string; id_token?: string; error?: string };
    assert.equal(tokenRes.status, 200, JSON.stringify(tokens));
    return { tokens };
  }

  async function mcpAccepts(token: string): Promise<string> {
    const client = new Client({ name: 'idp-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(world.mcp.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      const result = await client.callTool({ name: 'get_weather', arguments: { city: 'Berlin' } });
      return JSON.stringify(result.content);
    } finally {
      await client.close();
    }
  }

  it('publishes discovery with PKCE S256, RFC 9207 iss, registration and the path-inserted RFC 8414 variant', async () => {
    const meta = await (await fetch(world.idp.discoveryUrl)).json() as Record<string, unknown>;
    assert.equal(meta.issuer, `${world.idp.url}/${world.tenantId}/v2.0`);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    assert.equal(meta.registration_endpoint, world.idp.registrationEndpoint);
    assert.equal(meta.jwks_uri, world.idp.jwksUri);
    const rfc8414 = await (await fetch(`${world.idp.url}/.well-known/oauth-authorization-server/${world.tenantId}/v2.0`)).json() as Record<string, unknown>;
    assert.equal(rfc8414.issuer, meta.issuer);
  });

  it('authorization code + PKCE through the login page yields an Entra-shaped token the MCP server accepts', async () => {
    const result = await signIn({ username: 'alice', password: world.demoUser.password });
    const token = result.tokens?.access_token;
    assert.ok(token);
    assert.equal(decodeProtectedHeader(token).alg, 'RS256');
    assert.ok(decodeProtectedHeader(token).kid);
    const claims = decodeJwt(token);
    assert.equal(claims.iss, world.idp.issuer);
    assert.equal(claims.aud, world.apiClientId);
    assert.equal(claims.scp, 'mcp:tools');
    assert.equal(claims.tid, world.tenantId);
    assert.equal(claims.oid, world.demoUser.oid);
    assert.equal(claims.azp, world.extensionClientId);
    assert.equal(claims.ver, '2.0');
    assert.ok(typeof claims.nbf === 'number' && typeof claims.exp === 'number' && typeof claims.iat === 'number');
    assert.equal(claims.roles, undefined);
    assert.equal(claims.scope, undefined);
    assert.match(await mcpAccepts(token), /Weather in Berlin/);
    assert.equal(world.mcp.calls.at(-1)?.oid, world.demoUser.oid);

    // Refresh with the same explicit scope, as MSAL does hourly.
    assert.ok(result.tokens?.refresh_token);
    const refreshed = await fetch(world.idp.tokenEndpoint, form({
      grant_type: 'refresh_token', refresh_token: result.tokens.refresh_token, client_id: world.extensionClientId
    }));
    const body = await refreshed.json() as { access_token: string };
    assert.equal(refreshed.status, 200);
    assert.equal(decodeJwt(body.access_token).scp, 'mcp:tools');
    assert.match(await mcpAccepts(body.access_token), /Weather in Berlin/);
  });

  it('a generic OAuth client using RFC 8707 resource = the MCP server URL gets the same audience', async () => {
    const result = await signIn({ username: 'bob', password: 'bob-demo-pw', scope: 'openid mcp:tools', resource: world.mcp.url });
    const claims = decodeJwt(result.tokens!.access_token!);
    assert.equal(claims.aud, world.apiClientId);
    assert.equal(claims.scp, 'mcp:tools');
    assert.equal(claims.oid, world.idp.users[1]!.oid);
  });

  it('a wrong password shows the login page again with an error, and issues no code', async () => {
    const result = await signIn({ username: 'alice', password: 'wrong' });
    assert.match(result.error ?? '', /id="error"/);
  });

  it('client credentials yield an app-only token (roles, idtyp app, no scp) that the MCP server refuses with 403', async () => {
    const res = await fetch(world.idp.tokenEndpoint, form({
      grant_type: 'client_credentials',
      client_id: world.idp.confidentialClient.clientId,
      client_secret: world.idp.confidentialClient.clientSecret,
      scope: `api://${world.apiClientId}/.default`
    }));
    const { access_token: token } = await res.json() as { access_token: string };
    assert.equal(res.status, 200);
    const claims = decodeJwt(token);
    assert.deepEqual(claims.roles, world.idp.confidentialClient.roles);
    assert.equal(claims.idtyp, 'app');
    assert.equal(claims.scp, undefined);
    assert.equal(claims.aud, world.apiClientId);
    const before = world.mcp.calls.length;
    const mcpRes = await fetch(world.mcp.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'daemon', version: '1' } } })
    });
    assert.equal(mcpRes.status, 403);
    assert.equal(mcpRes.headers.get('www-authenticate')?.includes('error="insufficient_scope"'), true);
    assert.equal(mcpRes.headers.get('www-authenticate')?.includes('scope="mcp:tools"'), true);
    assert.equal(world.mcp.calls.length, before);
  });

  it('dynamic client registration works, and such a client gets a consent page', async () => {
    const reg = await fetch(world.idp.registrationEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'dcr test', application_type: 'native', redirect_uris: ['http://127.0.0.1/'],
        token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code']
      })
    });
    const client = await reg.json() as { client_id: string };
    assert.equal(reg.status, 201, JSON.stringify(client));
    const denied = await signIn({ username: 'alice', password: world.demoUser.password, clientId: client.client_id, consent: 'deny' });
    assert.equal(denied.callbackError, 'access_denied');
    const granted = await signIn({ username: 'alice', password: world.demoUser.password, clientId: client.client_id });
    assert.equal(decodeJwt(granted.tokens!.access_token!).azp, client.client_id);
  });

  it('refuses an authorization request without PKCE for the public client', async () => {
    const url = new URL(world.idp.authorizationEndpoint);
    url.search = new URLSearchParams({ client_id: world.extensionClientId, response_type: 'code', redirect_uri: 'http://127.0.0.1:5000/', scope: 'openid' }).toString();
    const res = await fetch(url, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? '', url);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description') ?? '', /PKCE/);
  });
});
