/**
 * The local identity provider: oidc-provider (OpenID-certified) configured so its
 * access tokens look like Entra ID v2 tokens. Real flows (authorization code + PKCE,
 * client credentials, refresh, dynamic registration) go through oidc-provider itself;
 * `mintToken` exists only so the validation matrix can produce *bad* tokens for real.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import express from 'express';
import { SignJWT, exportJWK, exportSPKI, type JWK } from 'jose';
import Provider, { errors as oidcErrors, type Adapter, type AdapterPayload, type Configuration, type KoaContextWithOIDC, type AccessToken, type ClientCredentials } from 'oidc-provider';
import { closeServer, listen, LOOPBACK_HOST } from './net';

export interface DemoUser {
  username: string;
  password: string;
  /** Entra object id of the user: stable across apps, what servers key sessions by. */
  oid: string;
  name: string;
  email: string;
}

export interface IdpOptions {
  /** 0 (default) = ephemeral. */
  port?: number;
  tenantId?: string;
  /** Client id (GUID) of the protected API; the `aud` of every access token. */
  apiClientId?: string;
  /** Public client id of the extension (authorization code + PKCE, loopback redirect). */
  extensionClientId?: string;
  /** Redirect URIs of the extension client; loopback ports are ignored per RFC 8252. */
  extensionRedirectUris?: string[];
  confidentialClientId?: string;
  confidentialClientSecret?: string;
  /** App roles put in app-only (client credentials) tokens. */
  appRoles?: string[];
  users?: DemoUser[];
  accessTokenTtlSeconds?: number;
  /**
   * Resource indicators (RFC 8707) accepted besides `api://<apiClientId>`. When omitted,
   * any loopback http(s) URL is treated as the API, so an MCP server started after the
   * IdP on an ephemeral port needs no extra wiring.
   */
  resources?: string[];
}

/** Which key signs a minted token. */
export type MintKey = 'idp' | 'foreign' | crypto.KeyObject;

export interface MintOptions {
  /** Default RS256. `HS256` is signed with the IdP's public key PEM (key confusion); `none` is unsigned. */
  alg?: 'RS256' | 'RS384' | 'PS256' | 'HS256' | 'none';
  /** Default `idp` (the real signing key). `foreign` is a key never published in the JWKS. */
  key?: MintKey;
  /** Overrides the header `kid`; `null` leaves it out. */
  kid?: string | null;
  /** Claims to delete after overrides are applied (e.g. `['exp']`). */
  omit?: string[];
  /** Username whose identity the default claims describe; default the first demo user. */
  user?: string;
}

export interface Idp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/<tenantId>/v2.0` */
  issuer: string;
  tenantId: string;
  apiClientId: string;
  /** The bare delegated scope the API requires. */
  scope: string;
  /** The scope a client must request, Entra style: `api://<apiClientId>/mcp:tools`. */
  fullScope: string;
  extensionClientId: string;
  confidentialClient: { clientId: string; clientSecret: string; roles: string[] };
  users: DemoUser[];
  discoveryUrl: string;
  jwksUri: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  registrationEndpoint: string;
  /** Number of JWKS documents served (or refused while unavailable). */
  readonly jwksFetches: number;
  /** Simulates a JWKS outage: the endpoint answers 503 while false. */
  setJwksAvailable(available: boolean): void;
  /** The claims a good delegated token for `user` would carry, with overrides applied. */
  claimsFor(overrides?: Record<string, unknown>, user?: string): Record<string, unknown>;
  /** Signs a token (good by default) for the validation matrix. `undefined` overrides delete a claim. */
  mintToken(overrides?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_TENANT_ID = '72f988bf-0000-4000-8000-00000000c0de';
export const DEFAULT_API_CLIENT_ID = '5e1c2a4b-7d3f-4c8e-9a6b-1f2e3d4c5b6a';
export const DEFAULT_EXTENSION_CLIENT_ID = '0b8f3c2e-1a4d-4e6f-8b9c-2d3e4f5a6b7c';
export const DEFAULT_CONFIDENTIAL_CLIENT_ID = '9c7d6e5f-4a3b-4c2d-8e1f-0a9b8c7d6e5f';
export const REQUIRED_SCOPE = 'mcp:tools';
export const ADMIN_SCOPE = 'mcp:tools.admin';

export const DEFAULT_USERS: readonly DemoUser[] = [
  { username: 'alice', password: 'alice-demo-pw', oid: '11111111-aaaa-4aaa-8aaa-111111111111', name: 'Alice Demo', email: 'alice@contoso.example' },
  { username: 'bob', password: 'bob-demo-pw', oid: '22222222-bbbb-4bbb-8bbb-222222222222', name: 'Bob Demo', email: 'bob@contoso.example' }
];

/** Object id of the confidential client's service principal: app-only tokens carry it as `oid`. */
const SERVICE_PRINCIPAL_OID = '33333333-cccc-4ccc-8ccc-333333333333';

/**
 * Per-IdP in-memory storage. oidc-provider's built-in one is process-wide and warns on every
 * start; this one also dies with the IdP, so tests never share grants or sessions.
 */
function memoryAdapterFactory(): (name: string) => Adapter {
  const store = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const grants = new Map<string, Set<string>>();
  return (name) => {
    const key = (id: string) => `${name}:${id}`;
    const get = (k: string) => {
      const entry = store.get(k);
      if (entry && entry.expiresAt <= Date.now()) {
        store.delete(k);
        return undefined;
      }
      return entry?.payload;
    };
    const findBy = (field: 'uid' | 'userCode', value: string) => {
      for (const [k, entry] of store) {
        if (k.startsWith(`${name}:`) && entry.payload[field] === value) {
          return get(k);
        }
      }
      return undefined;
    };
    return {
      upsert: async (id, payload, expiresIn) => {
        store.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY });
        if (payload.grantId) {
          const set = grants.get(payload.grantId) ?? new Set<string>();
          set.add(key(id));
          grants.set(payload.grantId, set);
        }
      },
      find: async (id) => get(key(id)),
      findByUid: async (uid) => findBy('uid', uid),
      findByUserCode: async (userCode) => findBy('userCode', userCode),
      consume: async (id) => {
        const payload = get(key(id));
        if (payload) {
          payload.consumed = Math.floor(Date.now() / 1000);
        }
      },
      destroy: async (id) => void store.delete(key(id)),
      revokeByGrantId: async (grantId) => {
        for (const k of grants.get(grantId) ?? []) {
          store.delete(k);
        }
        grants.delete(grantId);
      }
    };
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}label,input,button{display:block;width:100%;margin:.4rem 0}input{padding:.4rem}button{padding:.5rem}#error{color:#b00020}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function loginPage(uid: string, clientId: string, error?: string): string {
  return page('Sign in', `<p>Signing in to <code id="client-id">${escapeHtml(clientId)}</code> (local world)</p>
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="username">Username</label><input id="username" name="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button id="sign-in" type="submit">Sign in</button>
</form>`);
}

function consentPage(uid: string, clientId: string, scopes: string[]): string {
  const items = scopes.map((s) => `<li class="scope">${escapeHtml(s)}</li>`).join('');
  return page('Permissions requested', `<p>The application <code id="client-id">${escapeHtml(clientId)}</code> asks for:</p>
<ul id="scopes">${items}</ul>
<form id="consent-form" method="post" action="/interaction/${escapeHtml(uid)}/confirm">
<button id="accept" name="decision" value="accept" type="submit">Accept</button>
<button id="deny" name="decision" value="deny" type="submit">Cancel</button>
</form>`);
}

/** Entra calls both `mcp:tools` and `api://<id>/mcp:tools` the same delegated permission. */
function toScp(scope: string | undefined, apiClientId: string): string | undefined {
  if (!scope) {
    return undefined;
  }
  const prefixes = [`api://${apiClientId}/`, `${apiClientId}/`];
  const out = new Set<string>();
  for (const s of scope.split(' ')) {
    const prefix = prefixes.find((p) => s.startsWith(p));
    const name = prefix ? s.slice(prefix.length) : s;
    // `.default` means "whatever was consented", which in this world is the API's delegated scope.
    out.add(name === '.default' ? REQUIRED_SCOPE : name);
  }
  return [...out].join(' ') || undefined;
}

function isLoopbackUrl(value: string): boolean {
  const url = URL.parse(value);
  return !!url && (url.protocol === 'http:' || url.protocol === 'https:')
    && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export async function startIdp(options: IdpOptions = {}): Promise<Idp> {
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  const apiClientId = options.apiClientId ?? DEFAULT_API_CLIENT_ID;
  const extensionClientId = options.extensionClientId ?? DEFAULT_EXTENSION_CLIENT_ID;
  const confidentialClientId = options.confidentialClientId ?? DEFAULT_CONFIDENTIAL_CLIENT_ID;
  const confidentialClientSecret = options.confidentialClientSecret ?? crypto.randomBytes(24).toString('base64url');
  const appRoles = options.appRoles ?? ['Tools.ReadWrite.All'];
  const users = [...(options.users ?? DEFAULT_USERS)];
  const ttl = options.accessTokenTtlSeconds ?? 3600;
  const apiResource = `api://${apiClientId}`;
  const fullScope = `${apiResource}/${REQUIRED_SCOPE}`;
  const resourceScopes = [REQUIRED_SCOPE, ADMIN_SCOPE, fullScope, `${apiResource}/${ADMIN_SCOPE}`, `${apiResource}/.default`].join(' ');
  const preAuthorizedClients = new Set([extensionClientId]);

  const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreignKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = crypto.randomBytes(12).toString('base64url');
  const privateJwk: JWK = { ...(await exportJWK(signingKey.privateKey)), kid, alg: 'RS256', use: 'sig' };
  const publicPem = await exportSPKI(signingKey.publicKey);

  // The issuer contains the port, so listen first and attach oidc-provider afterwards.
  let handler: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = http.createServer((req, res) => handler(req, res));
  const port = await listen(server, options.port ?? 0);
  const url = `http://${LOOPBACK_HOST}:${port}`;
  const mountPath = `/${tenantId}/v2.0`;
  const issuer = `${url}${mountPath}`;

  const findUser = (oidOrName: string | undefined) => users.find((u) => u.oid === oidOrName || u.username === oidOrName);

  const configuration: Configuration = {
    clients: [
      {
        client_id: extensionClientId,
        client_name: 'Secure MCP (local world)',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: options.extensionRedirectUris ?? [
          'http://127.0.0.1/', 'http://127.0.0.1/callback', 'http://localhost/', 'http://[::1]/'
        ]
      },
      {
        client_id: confidentialClientId,
        client_name: 'Daemon (local world)',
        client_secret: confidentialClientSecret,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: []
      }
    ],
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    jwks: { keys: [privateJwk] },
    findAccount: (_ctx, sub) => {
      const user = findUser(sub);
      if (!user) {
        return undefined;
      }
      return {
        accountId: user.oid,
        claims: () => ({
          sub: user.oid, oid: user.oid, tid: tenantId, name: user.name,
          preferred_username: user.email, email: user.email
        })
      };
    },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'oid', 'tid'], email: ['email'] },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    adapter: memoryAdapterFactory(),
    ttl: {
      AccessToken: ttl, ClientCredentials: ttl, IdToken: 3600, Interaction: 600, Session: 86_400,
      Grant: 14 * 86_400, RefreshToken: 14 * 86_400, AuthorizationCode: 60, RegistrationAccessToken: 86_400
    },
    // MSAL always sends offline_access; Entra issues refresh tokens without a consent prompt.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      registration: { enabled: true, idFactory: () => crypto.randomUUID() },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Entra-style requests name the API by scope only (no `resource`, AADSTS9010010).
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? apiResource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          const known = resourceIndicator === apiResource
            || (options.resources ? options.resources.includes(resourceIndicator) : isLoopbackUrl(resourceIndicator));
          if (!known) {
            throw new oidcErrors.InvalidTarget(`unknown resource ${resourceIndicator}`);
          }
          return {
            scope: resourceScopes,
            audience: apiClientId,
            accessTokenTTL: ttl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } }
          };
        }
      }
    },
    formats: {
      customizers: {
        jwt: (_ctx: KoaContextWithOIDC, token: AccessToken | ClientCredentials, parts) => {
          const p = parts.payload;
          const iat = typeof p.iat === 'number' ? p.iat : Math.floor(Date.now() / 1000);
          const clientId = token.clientId ?? '';
          Object.assign(p, { ver: '2.0', tid: tenantId, azp: clientId, nbf: iat });
          p.azpacr = clientId === confidentialClientId ? '1' : '0';
          if (token.kind === 'ClientCredentials') {
            // App-only tokens carry roles, never scp: exactly what a delegated-only API must refuse.
            Object.assign(p, { roles: appRoles, idtyp: 'app', oid: SERVICE_PRINCIPAL_OID, sub: SERVICE_PRINCIPAL_OID });
          } else {
            const user = findUser(token.accountId);
            const scp = toScp(typeof p.scope === 'string' ? p.scope : undefined, apiClientId);
            if (scp) {
              p.scp = scp;
            }
            if (user) {
              Object.assign(p, { oid: user.oid, name: user.name, preferred_username: user.email });
            }
          }
          delete p.scope;
          delete p.client_id;
          parts.header = { ...parts.header, typ: 'JWT' };
        }
      }
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<p id="error" role="alert">${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`);
    }
  };

  const provider = new Provider(issuer, configuration);

  let jwksAvailable = true;
  let jwksFetches = 0;
  const app = express();
  app.disable('x-powered-by');
  const callback = provider.callback();

  app.get(`${mountPath}/jwks`, (_req, res, next) => {
    jwksFetches += 1;
    if (!jwksAvailable) {
      res.status(503).json({ error: 'temporarily_unavailable' });
      return;
    }
    next();
  });
  // RFC 8414 path-inserted variants, which generic OAuth clients try before the OIDC one.
  for (const prefix of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(`${prefix}${mountPath}`, async (_req, res, next) => {
      try {
        const upstream = await fetch(`${issuer}/.well-known/openid-configuration`);
        res.status(upstream.status).type('application/json').send(await upstream.text());
      } catch (err) {
        next(err);
      }
    });
  }

  const interactionRouter = express.Router();
  // Parsed only on these routes: oidc-provider must read its own endpoints' bodies.
  const formBody = express.urlencoded({ extended: false, limit: '16kb' });
  interactionRouter.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const clientId = String(details.params.client_id ?? '');
      res.set('Cache-Control', 'no-store');
      if (details.prompt.name === 'login') {
        res.type('html').send(loginPage(details.uid, clientId));
        return;
      }
      if (preAuthorizedClients.has(clientId)) {
        // Like an admin-consented enterprise app: no consent screen for the extension.
        await finishConsent(details, req, res);
        return;
      }
      const requested = String(details.params.scope ?? '').split(' ').filter(Boolean);
      res.type('html').send(consentPage(details.uid, clientId, requested));
    } catch (err) {
      next(err);
    }
  });
  interactionRouter.post('/interaction/:uid/login', formBody, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const body = req.body as Record<string, string | undefined>;
      const user = users.find((u) => u.username === body.username);
      const ok = !!user && typeof body.password === 'string'
        && crypto.timingSafeEqual(crypto.createHash('sha256').update(body.password).digest(), crypto.createHash('sha256').update(user.password).digest());
      if (!ok || !user) {
        res.status(200).type('html').send(loginPage(details.uid, String(details.params.client_id ?? ''), 'Wrong username or password.'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: user.oid } }, { mergeWithLastSubmission: false });
    } catch (err) {
      next(err);
    }
  });
  interactionRouter.post('/interaction/:uid/confirm', formBody, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const body = req.body as Record<string, string | undefined>;
      if (body.decision !== 'accept') {
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user declined consent.' }, { mergeWithLastSubmission: false });
        return;
      }
      await finishConsent(details, req, res);
    } catch (err) {
      next(err);
    }
  });

  type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
  async function finishConsent(details: Details, req: express.Request, res: express.Response): Promise<void> {
    const accountId = details.session?.accountId;
    const clientId = String(details.params.client_id ?? '');
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId });
    if (!grant) {
      throw new Error('grant vanished during the interaction');
    }
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) {
      grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    }
    if (missing.missingOIDCClaims) {
      grant.addOIDCClaims(missing.missingOIDCClaims);
    }
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  app.use(interactionRouter);
  app.use(mountPath, callback);

  handler = app;

  const claimsFor = (overrides: Record<string, unknown> = {}, username?: string): Record<string, unknown> => {
    const user = username ? findUser(username) : users[0];
    if (!user) {
      throw new Error(`no demo user ${username}`);
    }
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: issuer, aud: apiClientId, iat: now, nbf: now, exp: now + ttl,
      sub: user.oid, oid: user.oid, tid: tenantId, azp: extensionClientId, azpacr: '0',
      scp: REQUIRED_SCOPE, ver: '2.0', name: user.name, preferred_username: user.email,
      jti: crypto.randomUUID()
    };
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) {
        delete claims[name];
      } else {
        claims[name] = value;
      }
    }
    return claims;
  };

  const mintToken = async (overrides: Record<string, unknown> = {}, opts: MintOptions = {}): Promise<string> => {
    const claims = claimsFor(overrides, opts.user);
    for (const name of opts.omit ?? []) {
      delete claims[name];
    }
    const alg = opts.alg ?? 'RS256';
    const keyChoice = opts.key ?? 'idp';
    const defaultKid = keyChoice === 'idp' ? kid : keyChoice === 'foreign' ? 'foreign-key-never-published' : undefined;
    const headerKid = opts.kid === null ? undefined : (opts.kid ?? defaultKid);
    const header: Record<string, unknown> = { alg, typ: 'JWT', ...(headerKid ? { kid: headerKid } : {}) };
    if (alg === 'none') {
      return `${b64url(header)}.${b64url(claims)}.`;
    }
    const jwt = new SignJWT(claims).setProtectedHeader(header as { alg: string });
    if (alg === 'HS256') {
      // The classic key-confusion attack: HMAC keyed with the published public key.
      return jwt.sign(new TextEncoder().encode(publicPem));
    }
    const key = keyChoice === 'idp' ? signingKey.privateKey : keyChoice === 'foreign' ? foreignKey.privateKey : keyChoice;
    return jwt.sign(key);
  };

  return {
    url,
    issuer,
    tenantId,
    apiClientId,
    scope: REQUIRED_SCOPE,
    fullScope,
    extensionClientId,
    confidentialClient: { clientId: confidentialClientId, clientSecret: confidentialClientSecret, roles: appRoles },
    users,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri: `${issuer}/jwks`,
    authorizationEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    registrationEndpoint: `${issuer}/reg`,
    get jwksFetches() {
      return jwksFetches;
    },
    setJwksAvailable(available: boolean) {
      jwksAvailable = available;
    },
    claimsFor,
    mintToken,
    close: () => closeServer(server)
  };
}
