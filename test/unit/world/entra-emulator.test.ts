import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { createTestCa } from '../../world/entra/ca';
import { ProxyRefused, requestViaProxy, startEntraEmulator, VSCODE_CLIENT_ID, type RunningEntraEmulator } from '../../world/entra';
import { defaultApps } from '../../world/entra/config';
import { DEFAULT_API_CLIENT_ID, DEFAULT_EXTENSION_CLIENT_ID } from '../../world/idp';
import { json, LOGIN, parseFormPost, pkce, signInThroughRedirect, startCallback, viaProxy, type Callback } from './entra-helpers';

/** A second API nobody is pre-authorized for, and a confidential daemon. */
const OTHER_API = '6f6f6f6f-1111-4222-8333-444444444444';
const DAEMON = '7a7a7a7a-1111-4222-8333-555555555555';
const DAEMON_SECRET = 'daemon-secret-value';

describe('Entra emulator', function () {
  this.timeout(20_000);
  let emu: RunningEntraEmulator;
  let callback: Callback;
  let client: ReturnType<typeof viaProxy>;
  const tokenUrl = () => `${LOGIN}/${emu.tenantId}/oauth2/v2.0/token`;

  before(async () => {
    emu = await startEntraEmulator({
      apps: [
        ...defaultApps(),
        { clientId: OTHER_API, displayName: 'Other API', appIdUri: `api://${OTHER_API}`, scopes: ['files.read'] },
        { clientId: DAEMON, displayName: 'Daemon', clientSecret: DAEMON_SECRET }
      ]
    });
    callback = await startCallback();
    client = viaProxy(emu);
  });
  after(async () => {
    await callback?.close();
    await emu?.close();
  });
  beforeEach(() => {
    emu.faults.clear();
    emu.log.clear();
  });

  const signIn = (clientId = VSCODE_CLIENT_ID, scope = emu.scope) => signInThroughRedirect(emu, callback, { clientId, scope });

  /** A refresh token for VS Code's client, by the full flow. */
  const refreshToken = async () => String((await signIn()).tokens.refresh_token);

  const assertAad = (res: { status: number; body: string }, code: number, error: string, suberror?: string) => {
    const body = json(res);
    assert.equal(res.status, code === 700025 || code === 7000215 ? 401 : 400, res.body);
    assert.equal(body.error, error);
    assert.deepEqual(body.error_codes, [code]);
    assert.match(String(body.error_description), new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`));
    for (const field of ['timestamp', 'trace_id', 'correlation_id', 'error_uri']) {
      assert.ok(body[field], `${field} is present`);
    }
    assert.equal(body.suberror, suberror);
  };

  describe('the per-run CA', () => {
    it('issues a leaf for login.microsoftonline.com, vscode.dev, microsoft.com and 127.0.0.1 under a CA kept out of the repository', async () => {
      const ca = await createTestCa();
      try {
        const leaf = new crypto.X509Certificate(ca.certPem);
        assert.equal(leaf.subjectAltName, 'DNS:login.microsoftonline.com, DNS:vscode.dev, DNS:microsoft.com, IP Address:127.0.0.1');
        assert.ok(leaf.checkIssued(new crypto.X509Certificate(ca.caPem)));
        assert.ok(!ca.dir.startsWith(process.cwd()), 'lives outside the repository');
        assert.ok(!fs.existsSync(`${ca.dir}/ca.key`), 'the CA key is gone once the leaf is signed');
        const bundle = fs.readFileSync(ca.caBundleFile, 'utf8');
        assert.ok(bundle.endsWith(ca.caPem), 'the bundle ends with the test CA');
        assert.ok(bundle.length > ca.caPem.length * 10, 'the bundle starts with the system store');
      } finally {
        await ca.dispose();
      }
      assert.ok(!fs.existsSync(ca.dir), 'dispose removes every file');
    });

    it('is what the HTTPS answers are signed with: an unrelated CA fails the handshake', async () => {
      const other = await createTestCa();
      try {
        await assert.rejects(requestViaProxy({ proxyUrl: emu.proxyUrl, ca: other.caPem, url: `${LOGIN}/common/discovery/instance` }), /certificate|self.signed|unable to verify/i);
      } finally {
        await other.dispose();
      }
    });
  });

  describe('the CONNECT proxy', () => {
    it('tunnels login.microsoftonline.com, vscode.dev and microsoft.com only; everything else gets 502', async () => {
      assert.equal((await client.get(`${LOGIN}/common/discovery/instance`)).status, 200);
      for (const url of ['https://example.com/', 'https://graph.microsoft.com/v1.0/me', 'https://login.microsoftonline.com:8443/']) {
        await assert.rejects(requestViaProxy({ proxyUrl: emu.proxyUrl, ca: emu.caPem, url }), (err: unknown) => err instanceof ProxyRefused && err.status === 502, url);
      }
      assert.ok(emu.proxy.refused.some((r) => r.request === 'CONNECT example.com:443'));
      assert.ok(emu.proxy.tunnels.includes('login.microsoftonline.com:443'));
    });

    it('refuses plain-HTTP proxy requests, even for the emulated hosts', async () => {
      const proxy = new URL(emu.proxyUrl);
      for (const target of ['http://example.com/', 'http://login.microsoftonline.com/common/discovery/instance']) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = http.request({ host: proxy.hostname, port: proxy.port, path: target, headers: { host: new URL(target).host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
        assert.equal(status, 502, target);
      }
    });
  });

  describe('authorization code + PKCE through vscode.dev/redirect', () => {
    it('form_posts code, client_info, state and session_state to the stand-in, which forwards them to the callback', async () => {
      const result = await signIn();
      assert.equal(result.authorize.status, 200);
      assert.equal(result.formPost.action, 'https://vscode.dev/redirect');
      assert.deepEqual(Object.keys(result.formPost.fields).sort(), ['client_info', 'code', 'session_state', 'state']);
      assert.deepEqual(JSON.parse(Buffer.from(result.formPost.fields.client_info!, 'base64url').toString()), { uid: emu.user.oid, utid: emu.tenantId });
      const forwarded = new URL(callback.hits.at(-1)!, callback.origin);
      assert.equal(forwarded.pathname, '/stable-abc/callback');
      assert.equal(forwarded.searchParams.get('vscode-reqid'), '1');
      assert.equal(forwarded.searchParams.get('vscode-scheme'), 'code-oss');
      assert.ok(forwarded.searchParams.get('code'));
      assert.equal(forwarded.searchParams.get('state'), result.formPost.fields.state);
    });

    it('redeems the code for Entra-shaped tokens: v2 RS256 access token, id_token, client_info', async () => {
      const { token, tokens } = await signIn();
      assert.equal(token.status, 200, token.body);
      assert.deepEqual(Object.keys(tokens).sort(), ['access_token', 'client_info', 'expires_in', 'ext_expires_in', 'id_token', 'refresh_token', 'refresh_token_expires_in', 'scope', 'token_type']);
      assert.equal(tokens.token_type, 'Bearer');
      assert.equal(tokens.scope, emu.scope);
      assert.equal(tokens.expires_in, 3600);
      assert.equal(tokens.ext_expires_in, 3600);
      assert.equal(typeof tokens.refresh_token_expires_in, 'number');
      const jwks = json(await client.get(`${LOGIN}/${emu.tenantId}/discovery/v2.0/keys`)) as unknown as JSONWebKeySet;
      const { payload, protectedHeader } = await jwtVerify(String(tokens.access_token), createLocalJWKSet(jwks), { issuer: `${LOGIN}/${emu.tenantId}/v2.0`, audience: emu.apiClientId });
      assert.equal(protectedHeader.alg, 'RS256');
      assert.equal(protectedHeader.kid, jwks.keys[0]!.kid);
      assert.equal(payload.scp, 'mcp:tools');
      assert.equal(payload.tid, emu.tenantId);
      assert.equal(payload.oid, emu.user.oid);
      assert.equal(payload.azp, VSCODE_CLIENT_ID);
      assert.equal(payload.ver, '2.0');
      assert.equal(payload.preferred_username, 'alice@contoso.example');
      assert.equal(payload.roles, undefined);
      const id = decodeJwt(String(tokens.id_token));
      assert.equal(id.aud, VSCODE_CLIENT_ID);
      assert.equal(id.iss, `${LOGIN}/${emu.tenantId}/v2.0`);
      for (const claim of ['oid', 'tid', 'sub', 'sid', 'name', 'preferred_username', 'ver']) {
        assert.ok(id[claim], `id_token has ${claim}`);
      }
      assert.equal(decodeProtectedHeader(String(tokens.id_token)).kid, jwks.keys[0]!.kid);
    });

    it('also works through tenant "organizations" and answers by query when asked', async () => {
      const { tokens } = await signInThroughRedirect(emu, callback, { clientId: VSCODE_CLIENT_ID, scope: emu.scope, tenant: 'organizations' });
      assert.equal(decodeJwt(String(tokens.access_token)).tid, emu.tenantId);
      const { challenge } = pkce();
      const res = await client.get(`${LOGIN}/organizations/oauth2/v2.0/authorize?${new URLSearchParams({
        client_id: VSCODE_CLIENT_ID, scope: emu.scope, redirect_uri: 'http://localhost:43111/', response_type: 'code', state: 's1', code_challenge: challenge, code_challenge_method: 'S256'
      })}`);
      assert.equal(res.status, 302);
      const location = new URL(res.headers.location!);
      assert.equal(location.origin, 'http://localhost:43111');
      assert.deepEqual([...location.searchParams.keys()].sort(), ['code', 'session_state', 'state']);
    });

    it('checks PKCE, the redirect URI and single use at /token', async () => {
      const { verifier, challenge } = pkce();
      const code = async () => {
        const res = await client.get(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({
          client_id: VSCODE_CLIENT_ID, scope: `${emu.scope} openid offline_access`, redirect_uri: 'http://localhost', response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256'
        })}`);
        return new URL(res.headers.location!).searchParams.get('code')!;
      };
      const redeem = (c: string, extra: Record<string, string>) => client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'authorization_code', code: c, redirect_uri: 'http://localhost', code_verifier: verifier, ...extra });
      assertAad(await redeem(await code(), { code_verifier: pkce().verifier }), 501481, 'invalid_grant');
      assertAad(await redeem(await code(), { redirect_uri: 'http://localhost:1234' }), 500112, 'invalid_grant');
      const once = await code();
      assert.equal((await redeem(once, {})).status, 200);
      assertAad(await redeem(once, {}), 54005, 'invalid_grant');
    });

    it('refuses a plain PKCE method or a missing challenge on the redirect, an unregistered redirect URI on a page', async () => {
      const base = { client_id: VSCODE_CLIENT_ID, scope: emu.scope, redirect_uri: 'http://localhost', response_type: 'code', state: 'st' };
      const plain = await client.get(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ ...base, code_challenge: 'abc', code_challenge_method: 'plain' })}`);
      assert.equal(new URL(plain.headers.location!).searchParams.get('error'), 'invalid_request');
      const none = await client.get(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams(base)}`);
      assert.match(new URL(none.headers.location!).searchParams.get('error_description')!, /^AADSTS9002325:/);
      const evil = await client.get(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ ...base, redirect_uri: 'https://evil.example/cb', code_challenge: 'abc', code_challenge_method: 'S256' })}`);
      assert.equal(evil.status, 400);
      assert.equal(evil.headers.location, undefined);
      assert.match(evil.body, /AADSTS50011:/);
    });
  });

  describe('refresh', () => {
    it('keeps the scopes: the same scope string gives the same scp, and no scope reuses the original', async () => {
      const rt = await refreshToken();
      const again = await client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: rt, scope: `${emu.scope} openid profile offline_access`, client_info: '1' });
      assert.equal(again.status, 200, again.body);
      const body = json(again);
      assert.equal(body.scope, emu.scope);
      assert.equal(decodeJwt(String(body.access_token)).scp, 'mcp:tools');
      assert.ok(body.refresh_token && body.id_token && body.client_info);
      const bare = json(await client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: String(body.refresh_token) }));
      assert.equal(decodeJwt(String(bare.access_token)).scp, 'mcp:tools');
    });

    it('gives a second scope of the same API silently', async () => {
      const rt = await refreshToken();
      const res = json(await client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: rt, scope: `api://${DEFAULT_API_CLIENT_ID}/mcp:tools.admin openid profile offline_access` }));
      assert.equal(decodeJwt(String(res.access_token)).scp, 'mcp:tools.admin');
    });

    it('lifetimes come down to seconds', async () => {
      const short = await startEntraEmulator({ accessTokenLifetimeSeconds: 5, idTokenLifetimeSeconds: 4 });
      const cb = await startCallback();
      try {
        const { tokens } = await signInThroughRedirect(short, cb, { clientId: VSCODE_CLIENT_ID, scope: short.scope });
        assert.equal(tokens.expires_in, 5);
        const at = decodeJwt(String(tokens.access_token));
        assert.equal(at.exp! - at.iat!, 5);
        const id = decodeJwt(String(tokens.id_token));
        assert.equal(id.exp! - id.iat!, 4);
      } finally {
        await cb.close();
        await short.close();
      }
    });
  });

  describe('AADSTS answers', () => {
    const refresh = async (scope: string, extra: Record<string, string> = {}) =>
      client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: await refreshToken(), scope, ...extra });

    it('AADSTS9010010: `resource` with v2 scopes, on /authorize and on /token; the log shows it was sent', async () => {
      const { formPost } = await signInThroughRedirect(emu, callback, { clientId: VSCODE_CLIENT_ID, scope: emu.scope, extra: { resource: 'http://127.0.0.1:3000/mcp' } });
      assert.equal(formPost.fields.error, 'invalid_target');
      assert.match(formPost.fields.error_description!, /^AADSTS9010010: /);
      assert.equal(formPost.fields.code, undefined);
      assert.ok(formPost.fields.state, 'only state comes back with the error');
      assertAad(await refresh(emu.scope, { resource: 'http://127.0.0.1:3000/mcp' }), 9010010, 'invalid_target');
      assert.equal(emu.log.withParam('resource').length, 2);
      assert.equal(emu.log.withParam('resource')[0]!.query.resource, 'http://127.0.0.1:3000/mcp');
    });

    it('AADSTS65001: a client not pre-authorized for the API (on /token with consent_required; on /authorize as an error redirect)', async () => {
      assertAad(await refresh(`api://${OTHER_API}/files.read openid offline_access`), 65001, 'invalid_grant', 'consent_required');
      const { formPost } = await signInThroughRedirect(emu, callback, { clientId: VSCODE_CLIENT_ID, scope: `api://${OTHER_API}/files.read` });
      assert.equal(formPost.fields.error, 'consent_required');
      assert.match(formPost.fields.error_description!, /^AADSTS65001: .*aebc6443-996d-45c2-90f0-388ff96faa56/);
      emu.grantConsent(VSCODE_CLIENT_ID, OTHER_API);
      try {
        const ok = json(await refresh(`api://${OTHER_API}/files.read openid offline_access`));
        assert.equal(decodeJwt(String(ok.access_token)).aud, OTHER_API);
      } finally {
        emu.revokeConsent(VSCODE_CLIENT_ID, OTHER_API);
      }
    });

    it('AADSTS90009: the API asking for a token for itself by its app ID URI (the GUID form is allowed)', async () => {
      const devicecode = (scope: string) => client.post(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/devicecode`, { client_id: DEFAULT_API_CLIENT_ID, scope });
      assertAad(await devicecode(`api://${DEFAULT_API_CLIENT_ID}/mcp:tools`), 90009, 'invalid_request');
      assert.equal((await devicecode(`${DEFAULT_API_CLIENT_ID}/mcp:tools`)).status, 200);
    });

    it('AADSTS70011: .default mixed with named scopes', async () => {
      assertAad(await refresh(`api://${DEFAULT_API_CLIENT_ID}/.default api://${DEFAULT_API_CLIENT_ID}/mcp:tools openid offline_access`), 70011, 'invalid_scope');
      const alone = json(await refresh(`api://${DEFAULT_API_CLIENT_ID}/.default openid offline_access`));
      assert.equal(decodeJwt(String(alone.access_token)).scp, 'mcp:tools mcp:tools.admin');
    });

    it('AADSTS500011: a scope of an API not registered in the tenant', async () => {
      const res = await refresh('api://00000000-dead-4bee-8000-000000000000/mcp:tools openid offline_access');
      assertAad(res, 500011, 'invalid_resource');
      assert.match(String(json(res).error_description), /resource principal named api:\/\/00000000-dead-4bee-8000-000000000000 was not found in the tenant named Contoso/);
    });

    it('AADSTS28000: scopes of two resources at once', async () => {
      assertAad(await refresh(`${emu.scope} api://${OTHER_API}/files.read`), 28000, 'invalid_scope');
    });

    it('AADSTS700016: an unknown client, on /token as JSON and on /authorize as a page', async () => {
      const unknown = '12345678-0000-4000-8000-000000000000';
      assertAad(await client.post(tokenUrl(), { client_id: unknown, grant_type: 'refresh_token', refresh_token: 'x', scope: emu.scope }), 700016, 'unauthorized_client');
      const page = await client.get(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: unknown, scope: emu.scope, redirect_uri: 'https://vscode.dev/redirect', response_type: 'code', state: 'x' })}`);
      assert.equal(page.status, 400);
      assert.match(page.body, /AADSTS700016: Application with identifier &#39;12345678-0000-4000-8000-000000000000&#39; was not found/);
    });

    it('AADSTS700082: a refresh token past its inactivity lifetime', async () => {
      const rt = await refreshToken();
      emu.expireRefreshTokens();
      const res = await client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: rt, scope: emu.scope });
      assertAad(res, 700082, 'invalid_grant', 'bad_token');
      assert.match(String(json(res).error_description), /was inactive for 90\.00:00:0\d/);
    });

    it('interaction required on refresh: MFA (AADSTS50076, basic_action) from the fault queue', async () => {
      const rt = await refreshToken();
      emu.faults.push({ on: 'token', grant: 'refresh_token', error: 'AADSTS50076' });
      assertAad(await client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: rt, scope: emu.scope }), 50076, 'invalid_grant', 'basic_action');
    });

    it('a public client presenting a secret (AADSTS700025); the tenant-not-found page (AADSTS90002)', async () => {
      assertAad(await client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, client_secret: 'x', grant_type: 'refresh_token', refresh_token: 'x' }), 700025, 'invalid_client');
      assertAad(await client.post(`${LOGIN}/11111111-0000-4000-8000-000000000000/oauth2/v2.0/token`, { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: 'x' }), 90002, 'invalid_request');
    });

    it('echoes the client-request-id as correlation_id', async () => {
      const id = crypto.randomUUID();
      const res = await requestViaProxy({ proxyUrl: emu.proxyUrl, ca: emu.caPem, url: tokenUrl(), form: { client_id: 'nope' }, headers: { 'client-request-id': id } });
      assert.equal(json(res).correlation_id, id);
      assert.match(String(json(res).error_description), new RegExp(`Correlation ID: ${id}`));
    });
  });

  describe('fault queue', () => {
    it('takes faults in order, each for the request it matches: 503, then AADSTS700082 on refresh only', async () => {
      const rt = await refreshToken();
      emu.faults.push({ on: 'token', status: 503 }, { on: 'token', grant: 'refresh_token', error: 'AADSTS700082' });
      const first = await client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: rt, scope: emu.scope });
      assert.equal(first.status, 503);
      const devicecode = await client.post(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/devicecode`, { client_id: VSCODE_CLIENT_ID, scope: emu.scope });
      assert.equal(devicecode.status, 200, 'a /devicecode request does not take a /token fault');
      assert.equal(emu.faults.pending.length, 1);
      assertAad(await client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: rt, scope: emu.scope }), 700082, 'invalid_grant', 'bad_token');
      assert.equal(emu.faults.pending.length, 0);
      assert.equal((await client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: rt, scope: emu.scope })).status, 200);
    });

    it('a hang leaves the request unanswered; the next one is served', async () => {
      const rt = await refreshToken();
      emu.faults.push({ on: 'token', hang: true });
      await assert.rejects(client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: rt, scope: emu.scope }, 300), /timed out|socket hang up/);
      assert.equal(emu.log.of('token').at(-1)!.status, undefined, 'never answered');
      assert.equal((await client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: rt, scope: emu.scope })).status, 200);
    });

    it('refuses a fault that says nothing or too much', () => {
      assert.throws(() => emu.faults.push({ on: 'token' }));
      assert.throws(() => emu.faults.push({ on: 'token', status: 503, hang: true }));
    });
  });

  describe('request log', () => {
    it('records every request with secrets masked; a clean sign-in never sent `resource`', async () => {
      await signIn();
      assert.deepEqual(emu.log.withParam('resource'), []);
      const authorize = emu.log.of('authorize')[0]!;
      assert.equal(authorize.host, 'login.microsoftonline.com');
      assert.equal(authorize.query.code_challenge_method, 'S256');
      assert.equal(authorize.status, 200);
      const redirect = emu.log.of('redirect')[0]!;
      assert.equal(redirect.host, 'vscode.dev');
      assert.equal(redirect.form.code, '***');
      const token = emu.log.of('token', 'authorization_code')[0]!;
      assert.equal(token.form.code, '***');
      assert.equal(token.form.code_verifier, '***');
      assert.equal(token.form.client_id, VSCODE_CLIENT_ID);
      const everything = JSON.stringify(emu.log.entries);
      assert.ok(!/"1\.[A-Za-z0-9_-]{40,}/.test(everything), 'no code or refresh token in the log');
    });
  });

  describe('device code', () => {
    const poll = (deviceCode: string) => client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode });

    it('is pending until the test completes it, then gives tokens for the signed-in user', async () => {
      const start = json(await client.post(`${LOGIN}/organizations/oauth2/v2.0/devicecode`, { client_id: VSCODE_CLIENT_ID, scope: `${emu.scope} openid profile offline_access` }));
      assert.deepEqual(Object.keys(start).sort(), ['device_code', 'expires_in', 'interval', 'message', 'user_code', 'verification_uri']);
      assert.equal(start.verification_uri, 'https://microsoft.com/devicelogin');
      assert.match(String(start.message), new RegExp(`enter the code ${String(start.user_code)} to authenticate`));
      assertAad(await poll(String(start.device_code)), 70016, 'authorization_pending');
      assert.equal(emu.completeDeviceCode(), start.user_code);
      const done = await poll(String(start.device_code));
      assert.equal(done.status, 200, done.body);
      const at = decodeJwt(String(json(done).access_token));
      assert.equal(at.scp, 'mcp:tools');
      assert.equal(at.oid, emu.user.oid);
      assert.ok(json(done).refresh_token);
      assertAad(await poll(String(start.device_code)), 70000, 'invalid_grant');
    });

    it('takes the short grant name MSAL sends (grant_type=device_code), as Entra does', async () => {
      const start = json(await client.post(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/devicecode`, { client_id: VSCODE_CLIENT_ID, scope: emu.scope }));
      const short = () => client.post(tokenUrl(), { client_id: VSCODE_CLIENT_ID, grant_type: 'device_code', device_code: String(start.device_code) });
      assertAad(await short(), 70016, 'authorization_pending');
      emu.completeDeviceCode(String(start.user_code));
      assert.equal((await short()).status, 200);
    });

    it('is approved by entering the code at microsoft.com/devicelogin, as a user does; a wrong code is refused there', async () => {
      const start = json(await client.post(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/devicecode`, { client_id: VSCODE_CLIENT_ID, scope: emu.scope }));
      const landing = await client.get(String(start.verification_uri));
      assert.equal(landing.status, 302);
      const form = String(landing.headers.location);
      assert.equal(form, `${LOGIN}/common/oauth2/deviceauth`);
      assert.match((await client.get(form)).body, /<input id="otc" name="otc"/);
      const wrong = await client.post(form, { otc: 'NOTACODE' });
      assert.equal(wrong.status, 400);
      assert.match(wrong.body, /That code didn't work/);
      assertAad(await poll(String(start.device_code)), 70016, 'authorization_pending');
      const entered = await client.post(form, { otc: String(start.user_code).toLowerCase() });
      assert.equal(entered.status, 200);
      assert.match(entered.body, /You have signed in/);
      const done = await poll(String(start.device_code));
      assert.equal(done.status, 200, done.body);
      assert.equal(decodeJwt(String(json(done).access_token)).oid, emu.user.oid);
      assert.deepEqual(emu.log.entries.filter((e) => e.endpoint === 'devicelogin' || e.endpoint === 'deviceauth').map((e) => `${e.method} ${e.host}${e.path} ${e.status}`), [
        'GET microsoft.com/devicelogin 302', 'GET login.microsoftonline.com/common/oauth2/deviceauth 200',
        'POST login.microsoftonline.com/common/oauth2/deviceauth 400', 'POST login.microsoftonline.com/common/oauth2/deviceauth 200'
      ]);
    });

    it('answers authorization_declined when the user declines', async () => {
      const start = json(await client.post(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/devicecode`, { client_id: VSCODE_CLIENT_ID, scope: emu.scope }));
      emu.completeDeviceCode(String(start.user_code), 'decline');
      assertAad(await poll(String(start.device_code)), 70019, 'authorization_declined');
    });
  });

  describe('vscode.dev/redirect stand-in', () => {
    it('forwards the mangled code-server state as it is: no repair of the double-encoded callback', async () => {
      const { challenge } = pkce();
      // As code-server builds it: the callback's `?` double-encoded, its own parameters split off.
      const raw = `${callback.origin}/stable-abc/callback%253Fvscode-reqid=2&vscode-scheme=code-oss&vscode-authority=vscode.microsoft-authentication`;
      const query = `client_id=${VSCODE_CLIENT_ID}&scope=${encodeURIComponent(`${emu.scope} openid offline_access`)}&redirect_uri=${encodeURIComponent('https://vscode.dev/redirect')}`
        + `&response_type=code&response_mode=form_post&code_challenge=${challenge}&code_challenge_method=S256&state=${raw}`;
      const page = await client.get(`${LOGIN}/organizations/oauth2/v2.0/authorize?${query}`);
      const { fields } = parseFormPost(page.body);
      assert.equal(fields.state, `${callback.origin}/stable-abc/callback%3Fvscode-reqid=2`, 'Entra echoes only state');
      assert.equal(emu.log.of('authorize')[0]!.query['vscode-scheme'], 'code-oss', 'the split-off parameters reached /authorize and were dropped');
      const forwarded = await client.post('https://vscode.dev/redirect', fields);
      assert.equal(forwarded.status, 302);
      const location = new URL(forwarded.headers.location!);
      assert.equal(location.pathname, '/stable-abc/callback%3Fvscode-reqid=2');
      assert.equal(location.searchParams.get('vscode-reqid'), null);
      assert.equal(location.searchParams.get('vscode-scheme'), null);
      assert.ok(location.searchParams.get('code'));
    });

    it('forwards errors and answers 400 for a state that is no URL (GET too)', async () => {
      const res = await client.get(`https://vscode.dev/redirect?${new URLSearchParams({ error: 'access_denied', error_description: 'AADSTS65004: declined', state: `${callback.origin}/cb?x=1` })}`);
      const location = new URL(res.headers.location!);
      assert.equal(location.searchParams.get('x'), '1');
      assert.equal(location.searchParams.get('error'), 'access_denied');
      assert.equal((await client.get('https://vscode.dev/redirect?code=abc&state=not-a-url')).status, 400);
      assert.equal((await client.get('https://vscode.dev/elsewhere')).status, 404);
    });
  });

  describe('metadata', () => {
    it('serves instance discovery, OpenID metadata without code_challenge_methods_supported, and the keys', async () => {
      const instance = json(await client.get(`${LOGIN}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${LOGIN}/organizations/oauth2/v2.0/authorize`)}`));
      assert.equal(instance.tenant_discovery_endpoint, `${LOGIN}/organizations/v2.0/.well-known/openid-configuration`);
      const oidc = json(await client.get(`${LOGIN}/${emu.tenantId}/v2.0/.well-known/openid-configuration`));
      assert.equal(oidc.issuer, `${LOGIN}/${emu.tenantId}/v2.0`);
      assert.equal(oidc.jwks_uri, `${LOGIN}/${emu.tenantId}/discovery/v2.0/keys`);
      assert.equal(oidc.code_challenge_methods_supported, undefined);
      assert.equal(json(await client.get(`${LOGIN}/organizations/v2.0/.well-known/openid-configuration`)).issuer, `${LOGIN}/{tenantid}/v2.0`);
      const direct = await (await fetch(emu.jwksUri)).json() as JSONWebKeySet;
      const proxied = json(await client.get(`${LOGIN}/${emu.tenantId}/discovery/v2.0/keys`)) as unknown as JSONWebKeySet;
      assert.deepEqual(direct, proxied);
      assert.equal(direct.keys[0]!.kty, 'RSA');
      assert.equal(direct.keys[0]!.use, 'sig');
    });
  });

  describe('consent page option', () => {
    it('shows a consent page for a client that needs consent; Accept grants it and completes the sign-in', async () => {
      const apps = defaultApps();
      apps[0]!.preAuthorizedClientIds = [];
      const prompting = await startEntraEmulator({ apps, consentPrompt: 'page' });
      const cb = await startCallback();
      try {
        const c = viaProxy(prompting);
        const { challenge } = pkce();
        const page = await c.get(`${LOGIN}/${prompting.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({
          client_id: DEFAULT_EXTENSION_CLIENT_ID, scope: prompting.scope, redirect_uri: 'https://vscode.dev/redirect', response_type: 'code', response_mode: 'form_post', state: `${cb.origin}/cb`, code_challenge: challenge, code_challenge_method: 'S256'
        })}`);
        assert.match(page.body, /Permissions requested/);
        const pending = /name="pending" value="([^"]+)"/.exec(page.body)![1]!;
        const accepted = await c.post(`${LOGIN}/${prompting.tenantId}/oauth2/v2.0/authorize/consent`, { pending, accept: 'yes' });
        assert.ok(parseFormPost(accepted.body).fields.code);
      } finally {
        await cb.close();
        await prompting.close();
      }
    });
  });

  describe('client credentials (for app-only tokens)', () => {
    it('gives a confidential client a roles token with idtyp app and no scp', async () => {
      const res = json(await client.post(tokenUrl(), { client_id: DAEMON, client_secret: DAEMON_SECRET, grant_type: 'client_credentials', scope: `api://${DEFAULT_API_CLIENT_ID}/.default` }));
      const at = decodeJwt(String(res.access_token));
      assert.equal(at.idtyp, 'app');
      assert.deepEqual(at.roles, ['Tools.ReadWrite.All']);
      assert.equal(at.scp, undefined);
    });
  });
});
