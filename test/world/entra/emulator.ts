/**
 * The Entra emulator: one request handler serving login.microsoftonline.com and the
 * vscode.dev/redirect stand-in, behind an in-process `https.Server` (reached through the
 * CONNECT proxy, or directly on 127.0.0.1) and a plain-http loopback listener for direct
 * tests and the MCP server's JWKS fetches. Every request is logged; faults are taken in order.
 */
import type * as net from 'node:net';
import * as http from 'node:http';
import * as https from 'node:https';
import { createAuthorize, redirectStandIn } from './authorize';
import { createDeviceLogin, DEVICE_AUTH_PATH } from './deviceLogin';
import { MICROSOFT_HOST, resolveConfig, VSCODE_DEV_HOST, type EntraConfig, type EntraEmulatorOptions, type EntraUser } from './config';
import { aadError } from './errors';
import { sendAadError, sendText, type Exchange } from './exchange';
import { FaultQueue, type Endpoint } from './faults';
import { maskParams, RequestLog } from './log';
import { createMetadata } from './metadata';
import { EmulatorState, type DeviceCode } from './state';
import { createTokenEndpoints } from './token';
import { accessTokenClaims, createSigningKey, sign } from './tokens';
import { listen, LOOPBACK_HOST } from '../net';

const MAX_BODY = 1024 * 1024;

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}

export interface EntraEmulator {
  config: EntraConfig;
  /** Hand sockets to it (`emit('connection', socket)`); it also listens on `httpsUrl`. */
  httpsServer: https.Server;
  /** `https://127.0.0.1:<port>` (the leaf certificate names 127.0.0.1 too). */
  httpsUrl: string;
  /** `http://127.0.0.1:<port>`: the same endpoints in plain HTTP, for direct tests and the MCP server's JWKS. */
  httpUrl: string;
  log: RequestLog;
  faults: FaultQueue;
  /** The browser's signed-in account. */
  readonly user: EntraUser;
  signIn(who: string): EntraUser;
  /** Records a user's (or admin's) consent of `clientId` to `apiClientId`. */
  grantConsent(clientId: string, apiClientId: string): void;
  revokeConsent(clientId: string, apiClientId: string): void;
  pendingDeviceCodes(): DeviceCode[];
  /**
   * Plays the user at https://microsoft.com/devicelogin: approves (or declines) the device code
   * with `userCode`, or the newest pending one, as the signed-in user. Returns its user code.
   */
  completeDeviceCode(userCode?: string, outcome?: 'approve' | 'decline'): string;
  /** Ages every refresh token past its inactivity limit (the next refresh gets AADSTS700082). */
  expireRefreshTokens(): void;
  /** Revokes every refresh token (a password reset): the next refresh gets AADSTS50173. */
  revokeRefreshTokens(): void;
  /** A delegated access token for the signed-in user and the first API, signed with the real key; `undefined` deletes a claim. */
  mintAccessToken(overrides?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

function classify(host: string, path: string): { endpoint: Endpoint | 'consent' | 'unknown'; tenant: string } {
  const loopback = host.startsWith(`${LOOPBACK_HOST}:`) || host === LOOPBACK_HOST;
  if (host === VSCODE_DEV_HOST || (loopback && path === '/redirect')) {
    return { endpoint: path === '/redirect' ? 'redirect' : 'unknown', tenant: '' };
  }
  if (host === MICROSOFT_HOST || (loopback && path === '/devicelogin')) {
    return { endpoint: path === '/devicelogin' ? 'devicelogin' : 'unknown', tenant: '' };
  }
  if (path === DEVICE_AUTH_PATH) {
    return { endpoint: 'deviceauth', tenant: 'common' };
  }
  if (path === '/common/discovery/instance') {
    return { endpoint: 'instance-discovery', tenant: 'common' };
  }
  const m = /^\/([^/]+)\/(oauth2\/v2\.0\/(authorize|authorize\/consent|token|devicecode)|v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys)$/.exec(path);
  if (!m) {
    return { endpoint: 'unknown', tenant: '' };
  }
  const tenant = decodeURIComponent(m[1]!);
  const which = m[3] ?? (m[2]!.endsWith('openid-configuration') ? 'openid-configuration' : 'keys');
  return { endpoint: which === 'authorize/consent' ? 'consent' : which as Endpoint, tenant };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function createEntraEmulator(options: EntraEmulatorOptions & { tls: TlsMaterial }): Promise<EntraEmulator> {
  const config = resolveConfig(options);
  const key = await createSigningKey(config.tenantId);
  const state = new EmulatorState(config, key);
  const log = new RequestLog();
  const faults = new FaultQueue();
  const authorize = createAuthorize(state);
  const tokens = createTokenEndpoints(state);
  const metadata = createMetadata(state);
  const deviceLogin = createDeviceLogin(state);
  const sockets = new Set<net.Socket>();
  let closed = false;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, scheme: 'http' | 'https') => {
    const rawHost = (req.headers.host ?? '').toLowerCase();
    const host = scheme === 'https' ? rawHost.replace(/:443$/, '') : rawHost.replace(/:80$/, '');
    const url = new URL(req.url ?? '/', `${scheme}://${host || LOOPBACK_HOST}`);
    const body = req.method === 'POST' ? await readBody(req) : '';
    const form = /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '') || (req.method === 'POST' && !req.headers['content-type'])
      ? new URLSearchParams(body)
      : new URLSearchParams();
    const { endpoint, tenant } = classify(host, url.pathname);
    const grantType = form.get('grant_type') ?? undefined;
    const clientRequestId = req.headers['client-request-id'];
    const entry = log.add({
      at: new Date(),
      host,
      method: req.method ?? 'GET',
      path: url.pathname,
      endpoint,
      query: maskParams(url.searchParams),
      form: maskParams(form),
      ...(typeof clientRequestId === 'string' ? { clientRequestId } : {}),
      ...(grantType ? { grantType } : {})
    });
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    const ex: Exchange = { req, res, url, host, query: url.searchParams, form, entry };

    const fault = endpoint === 'unknown' || endpoint === 'consent' ? undefined : faults.take(endpoint, grantType);
    if (fault?.delayMs) {
      await sleep(fault.delayMs);
    }
    if (fault?.hang) {
      return;
    }
    if (fault?.status !== undefined) {
      sendText(ex, fault.status, fault.status === 503 ? 'Service Unavailable' : `HTTP ${fault.status}`);
      return;
    }
    if (fault?.error !== undefined) {
      ex.injected = aadError(fault.error);
      if (endpoint !== 'authorize' && endpoint !== 'token' && endpoint !== 'devicecode') {
        sendAadError(ex, ex.injected);
        return;
      }
    }
    switch (endpoint) {
      case 'authorize':
        authorize.authorize(ex, tenant);
        return;
      case 'consent':
        authorize.consent(ex);
        return;
      case 'devicelogin':
        deviceLogin.devicelogin(ex);
        return;
      case 'deviceauth':
        deviceLogin.deviceauth(ex);
        return;
      case 'redirect':
        redirectStandIn(ex, config.redirectStandIn);
        return;
      case 'token':
        await tokens.token(ex, tenant);
        return;
      case 'devicecode':
        await tokens.devicecode(ex, tenant);
        return;
      case 'instance-discovery':
        metadata.instanceDiscovery(ex);
        return;
      case 'openid-configuration':
        metadata.openidConfiguration(ex, tenant);
        return;
      case 'keys':
        metadata.keys(ex, tenant);
        return;
      default:
        sendText(ex, 404, 'Not Found');
    }
  };

  const wrap = (scheme: 'http' | 'https') => (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res, scheme).catch((err: unknown) => {
      if (!res.headersSent && !closed) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator error: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  };
  const httpsServer = https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, wrap('https'));
  const httpServer = http.createServer(wrap('http'));
  for (const server of [httpsServer, httpServer]) {
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }
  const httpsPort = await listen(httpsServer as unknown as http.Server);
  const httpPort = await listen(httpServer);

  return {
    config,
    httpsServer,
    httpsUrl: `https://${LOOPBACK_HOST}:${httpsPort}`,
    httpUrl: `http://${LOOPBACK_HOST}:${httpPort}`,
    log,
    faults,
    get user() {
      return state.user;
    },
    signIn: (who) => state.signIn(who),
    grantConsent: (clientId, apiClientId) => void state.consents.add(`${clientId} ${apiClientId}`),
    revokeConsent: (clientId, apiClientId) => void state.consents.delete(`${clientId} ${apiClientId}`),
    pendingDeviceCodes: () => state.pendingDeviceCodes(),
    completeDeviceCode(userCode, outcome = 'approve') {
      const settled = state.settleDeviceCode(userCode, outcome);
      if (!settled) {
        throw new Error(userCode ? `no pending device code ${userCode}` : 'no pending device code');
      }
      return settled;
    },
    expireRefreshTokens() {
      const past = Date.now() - config.refreshTokenLifetimeSeconds * 1000 - 1000;
      for (const grant of state.refreshTokens.values()) {
        grant.lastUsedAt = past;
      }
    },
    revokeRefreshTokens() {
      for (const grant of state.refreshTokens.values()) {
        grant.revoked = true;
      }
    },
    async mintAccessToken(overrides = {}) {
      const api = config.apps.find((app) => app.scopes?.length)!;
      const claims: Record<string, unknown> = {
        ...accessTokenClaims({
          tenantId: config.tenantId,
          user: state.user,
          audience: api.clientId,
          clientId: config.apps.find((app) => app !== api)?.clientId ?? api.clientId,
          scopes: [api.scopes![0]!],
          sessionId: state.sessionOf(state.user),
          lifetimeSeconds: config.accessTokenLifetimeSeconds
        }),
        ...overrides
      };
      return sign(key, claims);
    },
    async close() {
      closed = true;
      for (const socket of sockets) {
        socket.destroy();
      }
      await Promise.all([httpsServer, httpServer].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    }
  };
}
