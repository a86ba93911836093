import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FetchLike } from '../../../../src/node/auth/authFetch';
import { discover } from '../../../../src/node/discovery/discovery';
import { entraAuthority, type DiscoveryResult } from '../../../../src/common/discovery/result';
import { BlockedUrlError, createSafeFetch, internalAddress } from '../../../../src/node/discovery/safeFetch';
import type { Logger } from '../../../../src/common/log';
import { startWorld, type World } from '../../../world';

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const codes = (r: DiscoveryResult) => r.findings.map(f => f.code);

type Routes = Record<string, (res: http.ServerResponse, base: string) => void>;

async function serve(routes: Routes): Promise<{ base: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    hits.push(`${req.method} ${path}`);
    const route = routes[`${req.method} ${path}`] ?? routes[path];
    if (route) {
      route(res, base);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, hits, close: () => new Promise<void>(r => { server.closeAllConnections(); server.close(() => r()); }) };
}

const json = (body: unknown, status = 200) => (res: http.ServerResponse) => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)); };
const challenge = (value: (base: string) => string) => (res: http.ServerResponse, base: string) => { res.writeHead(401, { 'www-authenticate': value(base) }).end(); };

function asMetadata(issuer: string, extra: Record<string, unknown> = {}) {
  return {
    issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'], ...extra
  };
}

describe('discovery', function () {
  this.timeout(20_000);

  describe('against the world server', () => {
    let world: World;
    before(async () => { world = await startWorld(); });
    after(async () => { await world.close(); });

    it('finds the resource metadata from the 401 challenge and the authorization server behind it', async () => {
      const r = await discover(new URL(world.urls.mcp), { fetch: createSafeFetch(), logger: quiet });
      assert.equal(r.probeStatus, 401);
      assert.equal(r.challenge?.resourceMetadata, world.urls.resourceMetadata);
      assert.equal(r.resourceMetadata?.resource, world.urls.mcp);
      assert.equal(r.authorizationServer, world.urls.issuer);
      assert.equal(r.authorizationServerMetadata?.issuer, world.urls.issuer);
      assert.deepEqual(r.proposedScopes, ['mcp:tools']);
      assert.equal(r.entra, undefined);
      assert.deepEqual(r.findings.filter(f => f.level === 'error'), []);
    });
  });

  describe('bad servers', () => {
    let peer: Awaited<ReturnType<typeof serve>> | undefined;
    afterEach(async () => { await peer?.close(); peer = undefined; });

    it('rejects Protected Resource Metadata for another resource (B2)', async () => {
      peer = await serve({
        'POST /mcp': challenge(b => `Bearer resource_metadata="${b}/.well-known/oauth-protected-resource/mcp"`),
        '/.well-known/oauth-protected-resource/mcp': (res, b) => json({ resource: `${b}/other`, authorization_servers: [b] })(res)
      });
      const r = await discover(new URL(`${peer.base}/mcp`), { fetch: createSafeFetch(), logger: quiet });
      assert.ok(codes(r).includes('resource-mismatch'));
      assert.equal(r.authorizationServer, undefined);
      assert.ok(!peer.hits.some(h => h.includes('oauth-authorization-server')), 'the authorization server was not consulted');
    });

    it('rejects authorization server metadata whose issuer differs (B3)', async () => {
      peer = await serve({
        'POST /mcp': challenge(() => 'Bearer'),
        '/.well-known/oauth-protected-resource/mcp': (res, b) => json({ resource: `${b}/mcp`, authorization_servers: [`${b}/as`] })(res),
        '/.well-known/oauth-authorization-server/as': res => json(asMetadata('https://evil.example/as'))(res)
      });
      const r = await discover(new URL(`${peer.base}/mcp`), { fetch: createSafeFetch(), logger: quiet });
      assert.ok(codes(r).includes('issuer-mismatch'));
      assert.equal(r.authorizationServerMetadata, undefined);
      assert.deepEqual(r.proposedScopes, []);
    });

    it('falls back from the path-inserted to the root well-known URL and reads OIDC metadata (B1)', async () => {
      peer = await serve({
        'POST /mcp': challenge(() => 'Bearer'),
        '/.well-known/oauth-protected-resource': (res, b) => json({ resource: `${b}/mcp`, authorization_servers: [`${b}/t1`], scopes_supported: ['files:read'] })(res),
        '/t1/.well-known/openid-configuration': (res, b) => json({ ...asMetadata(`${b}/t1`), jwks_uri: `${b}/jwks`, subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] })(res)
      });
      const r = await discover(new URL(`${peer.base}/mcp`), { fetch: createSafeFetch(), logger: quiet });
      assert.deepEqual(r.findings.filter(f => f.level === 'error'), []);
      assert.deepEqual(r.proposedScopes, ['files:read']);
      assert.ok(peer.hits.indexOf('GET /.well-known/oauth-protected-resource/mcp') < peer.hits.indexOf('GET /.well-known/oauth-protected-resource'));
    });

    it('flags an authorization server without PKCE S256', async () => {
      peer = await serve({
        'POST /mcp': challenge(() => 'Bearer'),
        '/.well-known/oauth-protected-resource/mcp': (res, b) => json({ resource: `${b}/mcp`, authorization_servers: [b] })(res),
        '/.well-known/oauth-authorization-server': (res, b) => json(asMetadata(b, { code_challenge_methods_supported: ['plain'] }))(res)
      });
      const r = await discover(new URL(`${peer.base}/mcp`), { fetch: createSafeFetch(), logger: quiet });
      assert.ok(codes(r).includes('no-pkce'));
    });

    it('says so when the server publishes no metadata at all', async () => {
      peer = await serve({ 'POST /mcp': challenge(() => 'Bearer') });
      const r = await discover(new URL(`${peer.base}/mcp`), { fetch: createSafeFetch(), logger: quiet });
      assert.ok(codes(r).includes('no-resource-metadata'));
      assert.match(r.findings.find(f => f.code === 'no-resource-metadata')?.fix ?? '', /secureMcp\.auth\.scopes/);
    });

    it('a URL that answers 404 is not an MCP endpoint: one finding that says so and names the setting, nothing else probed', async () => {
      peer = await serve({});
      const r = await discover(new URL(`${peer.base}/not-mcp`), { fetch: createSafeFetch(), logger: quiet });
      assert.deepEqual(codes(r), ['not-mcp-endpoint']);
      assert.match(r.findings[0]?.fix ?? '', /secureMcp\.serverUrl/);
      assert.doesNotMatch(JSON.stringify(r.findings), /allowLegacyEndpoints|secureMcp\.auth\.scopes/);
      assert.deepEqual(peer.hits, ['POST /not-mcp'], 'no metadata was looked for');
    });

    it('does not fetch a resource_metadata URL on a link-local address (B5)', async () => {
      const seen: string[] = [];
      const spy: FetchLike = (input, init) => { seen.push(String(input)); return fetch(input, init); };
      peer = await serve({ 'POST /mcp': challenge(() => 'Bearer resource_metadata="http://169.254.169.254/latest/meta-data/"') });
      const r = await discover(new URL(`${peer.base}/mcp`), { fetch: createSafeFetch({ fetch: spy }), logger: quiet });
      assert.ok(codes(r).includes('blocked-url'), JSON.stringify(r.findings));
      assert.ok(!seen.some(u => u.includes('169.254')), seen.join('\n'));
    });

    it('does not follow a redirect from a metadata URL', async () => {
      peer = await serve({
        'POST /mcp': challenge(b => `Bearer resource_metadata="${b}/prm"`),
        '/prm': res => { res.writeHead(302, { location: 'http://169.254.169.254/' }).end(); }
      });
      const r = await discover(new URL(`${peer.base}/mcp`), { fetch: createSafeFetch(), logger: quiet });
      assert.ok(codes(r).includes('no-resource-metadata'));
    });
  });

  describe('Entra', () => {
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const entraIssuer = `https://login.microsoftonline.com/${tenant}/v2.0`;

    /** Entra cannot be reached from here, so its metadata document is served from memory; the server is real. */
    function withEntra(): FetchLike {
      return (input, init) => {
        const url = String(input);
        if (url === `${entraIssuer}/.well-known/openid-configuration`) {
          return Promise.resolve(new Response(JSON.stringify({ ...asMetadata(entraIssuer), code_challenge_methods_supported: undefined, jwks_uri: 'https://login.microsoftonline.com/x/keys', subject_types_supported: ['pairwise'], id_token_signing_alg_values_supported: ['RS256'] }), { headers: { 'content-type': 'application/json' } }));
        }
        if (url.startsWith('https://login.microsoftonline.com/')) {
          return Promise.resolve(new Response('not found', { status: 404 }));
        }
        return fetch(input, init);
      };
    }
    const publicLookup = async () => ['20.190.151.68'];

    let peer: Awaited<ReturnType<typeof serve>> | undefined;
    afterEach(async () => { await peer?.close(); peer = undefined; });

    async function entraServer(scopes: string[]) {
      peer = await serve({
        'POST /mcp': challenge(b => `Bearer resource_metadata="${b}/.well-known/oauth-protected-resource/mcp"`),
        '/.well-known/oauth-protected-resource/mcp': (res, b) => json({ resource: `${b}/mcp`, authorization_servers: [entraIssuer], scopes_supported: scopes })(res)
      });
      return new URL(`${peer.base}/mcp`);
    }

    it('detects the tenant and proposes the full scope; Entra metadata without PKCE methods is fine', async () => {
      const url = await entraServer(['api://contoso-mcp/mcp:tools']);
      const r = await discover(url, { fetch: createSafeFetch({ fetch: withEntra(), lookup: publicLookup }), logger: quiet });
      assert.deepEqual(r.entra, { host: 'login.microsoftonline.com', tenant, version: 'v2' });
      assert.deepEqual(r.proposedScopes, ['api://contoso-mcp/mcp:tools']);
      assert.deepEqual(r.findings.filter(f => f.level !== 'info'), []);
    });

    it('explains that a bare mcp:tools is not enough for Entra', async () => {
      const url = await entraServer(['mcp:tools']);
      const r = await discover(url, { fetch: createSafeFetch({ fetch: withEntra(), lookup: publicLookup }), logger: quiet });
      const f = r.findings.find(x => x.code === 'bare-scope');
      assert.match(f?.message ?? '', /api:\/\/<server-app-id>\/mcp:tools/);
      assert.deepEqual(r.proposedScopes, []);
    });

    it('refuses when the server trusts another tenant than the configured one (B4)', async () => {
      const url = await entraServer(['api://contoso-mcp/mcp:tools']);
      const r = await discover(url, { fetch: createSafeFetch({ fetch: withEntra(), lookup: publicLookup }), logger: quiet, configuredTenant: '00000000-1111-2222-3333-444444444444' });
      assert.ok(codes(r).includes('tenant-mismatch'));
      assert.match(r.findings.find(x => x.code === 'tenant-mismatch')?.fix ?? '', new RegExp(tenant));
    });

    it('recognises Entra authorities and nothing else', () => {
      assert.deepEqual(entraAuthority(`https://login.microsoftonline.us/${tenant}/v2.0`), { host: 'login.microsoftonline.us', tenant, version: 'v2' });
      assert.deepEqual(entraAuthority(`https://sts.windows.net/${tenant}/`), { host: 'sts.windows.net', tenant, version: 'v1' });
      assert.equal(entraAuthority('https://login.microsoftonline.com.evil.example/t/v2.0'), undefined);
      assert.equal(entraAuthority('https://keycloak.example/realms/x'), undefined);
      assert.equal(entraAuthority('not a url'), undefined);
    });
  });

  describe('safe fetch (B5)', () => {
    const never: FetchLike = () => { throw new Error('must not fetch'); };
    const blocked = [
      'http://169.254.169.254/latest/meta-data/', 'https://169.254.169.254/', 'https://10.1.2.3/x', 'https://192.168.1.1/',
      'https://172.16.0.1/', 'https://[fe80::1]/', 'https://[fd00::1]/', 'https://[::ffff:169.254.169.254]/', 'http://example.com/prm',
      'file:///etc/passwd', 'ftp://example.com/', 'https://user:pw@example.com/'
    ];
    for (const url of blocked) {
      it(`refuses ${url} without a request`, async () => {
        await assert.rejects(createSafeFetch({ fetch: never })(url), BlockedUrlError);
      });
    }

    it('refuses a public host name that resolves to a private address', async () => {
      await assert.rejects(createSafeFetch({ fetch: never, lookup: async () => ['10.0.0.5'] })('https://metadata.example/'), /resolves to 10\.0\.0\.5/);
    });

    it('classifies addresses', () => {
      assert.equal(internalAddress('8.8.8.8'), undefined);
      assert.equal(internalAddress('127.0.0.1'), undefined);
      assert.equal(internalAddress('::1'), undefined);
      assert.match(internalAddress('100.64.0.1') ?? '', /shared/);
      assert.match(internalAddress('224.0.0.1') ?? '', /unicast/);
    });

    let peer: Awaited<ReturnType<typeof serve>> | undefined;
    afterEach(async () => { await peer?.close(); peer = undefined; });

    it('caps the size of a document, declared or streamed', async () => {
      peer = await serve({
        '/declared': res => { res.writeHead(200, { 'content-length': String(2_000_000) }).end('x'.repeat(2_000_000)); },
        '/chunked': res => { res.writeHead(200); for (let i = 0; i < 40; i++) { res.write('y'.repeat(10_000)); } res.end(); }
      });
      const f = createSafeFetch({ maxBytes: 100_000 });
      await assert.rejects(f(`${peer.base}/declared`), /limited to 100000/);
      await assert.rejects(f(`${peer.base}/chunked`), /more than 100000/);
    });

    it('caps the time', async () => {
      peer = await serve({ '/slow': () => { /* never answers */ } });
      const t0 = Date.now();
      await assert.rejects(createSafeFetch({ timeoutMs: 300 })(`${peer.base}/slow`), /within 300 ms/);
      assert.ok(Date.now() - t0 < 3000);
    });

    it('never sends credentials a caller attached', async () => {
      let auth: string | undefined = 'unset';
      const spy: FetchLike = (_input, init) => { auth = new Headers(init?.headers).get('authorization') ?? undefined; return Promise.resolve(new Response('{}')); };
      await createSafeFetch({ fetch: spy })('http://127.0.0.1:9/x', { headers: { Authorization: 'Bearer secret' } });
      assert.equal(auth, undefined);
    });
  });
});
