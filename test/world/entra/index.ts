/**
 * `startEntraEmulator`: a per-run CA, the emulator and the CONNECT proxy in this process,
 * and everything a client (code-server, Chromium, a test) or the MCP server needs to use them.
 * The mechanism (proxy, CA bundle, flags) is described in the shared notes, entra-emulator.md.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { createTestCa, loadTestCa, type TestCa } from './ca';
import { LOGIN_ORIGIN, VSCODE_CLIENT_ID, type EntraEmulatorOptions, type EntraUser } from './config';
import { createEntraEmulator, type EntraEmulator } from './emulator';
import type { FaultQueue } from './faults';
import type { RequestLog } from './log';
import { startConnectProxy, type ConnectProxy } from './proxy';
import type { DeviceCode } from './state';
import { issuerOf } from './tokens';

export { VSCODE_CLIENT_ID, VSCODE_REDIRECT, LOGIN_ORIGIN, defaultApps, DEFAULT_USERS, type EntraApp, type EntraUser, type EntraEmulatorOptions } from './config';
export { type Fault } from './faults';
export { type LoggedRequest } from './log';
export { aadError, errorBody, type AadErrorBody } from './errors';
export { requestViaProxy, ProxyRefused, type TunnelResponse } from './tunnel';

export interface StartEntraEmulatorOptions extends EntraEmulatorOptions {
  /** Port of the CONNECT proxy; 0 (default) = ephemeral. */
  proxyPort?: number;
  /** A CA made before (its bundle already in a client's `SSL_CERT_FILE`); default: a new one for this run. */
  caDir?: string;
}

export interface RunningEntraEmulator {
  tenantId: string;
  /** The API's client id (GUID), the `aud` of its tokens. */
  apiClientId: string;
  /** The full delegated scope to request: `api://<apiClientId>/mcp:tools`. */
  scope: string;
  /** `https://login.microsoftonline.com/<tid>/v2.0` */
  issuer: string;
  /** `https://login.microsoftonline.com/<tid>` (MSAL authority). */
  authority: string;
  /** `http://127.0.0.1:<port>`: `http.proxy` for code-server, `--proxy-server` for Chromium. */
  proxyUrl: string;
  /** System bundle + the test CA: `SSL_CERT_FILE` for code-server. */
  caBundleFile: string;
  /** The test CA alone (PEM) and as a file. */
  caPem: string;
  caFile: string;
  /** The JWKS as clients see it (`https://login.microsoftonline.com/<tid>/discovery/v2.0/keys`, via the proxy). */
  publicJwksUri: string;
  /** The same keys on a direct loopback URL: what the world MCP server fetches. */
  jwksUri: string;
  /** The emulator's endpoints in plain HTTP on loopback (direct tests). */
  directUrl: string;
  /** The emulator's endpoints in HTTPS on loopback. */
  directHttpsUrl: string;
  log: RequestLog;
  faults: FaultQueue;
  /** The proxy's record: tunnels opened and requests refused. */
  proxy: Pick<ConnectProxy, 'tunnels' | 'refused'>;
  readonly user: EntraUser;
  signIn(who: string): EntraUser;
  grantConsent(clientId: string, apiClientId: string): void;
  revokeConsent(clientId: string, apiClientId: string): void;
  pendingDeviceCodes(): DeviceCode[];
  completeDeviceCode(userCode?: string, outcome?: 'approve' | 'decline'): string;
  expireRefreshTokens(): void;
  revokeRefreshTokens(): void;
  /** Switches the vscode.dev/redirect stand-in between repairing nothing (as vscode.dev) and repairing code-server's callback. */
  setRedirectStandIn(mode: 'faithful' | 'repairing'): void;
  mintAccessToken(overrides?: Record<string, unknown>): Promise<string>;
  /** The code-server / Chromium settings this emulator needs (the proxy mechanism of the shared entra-emulator notes). */
  clientSettings: {
    /** code-server user settings. */
    settings: { 'http.proxy': string };
    /** Environment for code-server (override any inherited NODE_EXTRA_CA_CERTS). */
    env: { SSL_CERT_FILE: string };
    /** code-server arguments. */
    codeServerArgs: string[];
    /** Chromium arguments: the proxy, and trust in this run's leaf key only (its SPKI hash), not in every certificate. */
    chromiumArgs: string[];
  };
  close(): Promise<void>;
}

export async function startEntraEmulator(options: StartEntraEmulatorOptions = {}): Promise<RunningEntraEmulator> {
  const ca: TestCa = options.caDir ? await loadTestCa(options.caDir) : await createTestCa();
  let emulator: EntraEmulator | undefined;
  let proxy: ConnectProxy | undefined;
  try {
    emulator = await createEntraEmulator({ ...options, tls: { certPem: ca.certPem, keyPem: ca.keyPem } });
    proxy = await startConnectProxy(emulator.httpsServer, { port: options.proxyPort ?? 0 });
  } catch (err) {
    await emulator?.close();
    await ca.dispose();
    throw err;
  }
  const e = emulator;
  const p = proxy;
  const { tenantId } = e.config;
  const api = e.config.apps.find((app) => app.scopes?.includes('mcp:tools')) ?? e.config.apps.find((app) => app.scopes?.length);
  if (!api) {
    await Promise.allSettled([p.close(), e.close(), ca.dispose()]);
    throw new Error('the Entra emulator needs an API app with scopes');
  }
  const scopeName = api.scopes!.includes('mcp:tools') ? 'mcp:tools' : api.scopes![0]!;
  return {
    tenantId,
    apiClientId: api.clientId,
    scope: `${api.appIdUri ?? api.clientId}/${scopeName}`,
    issuer: issuerOf(tenantId),
    authority: `${LOGIN_ORIGIN}/${tenantId}`,
    proxyUrl: p.url,
    caBundleFile: ca.caBundleFile,
    caPem: ca.caPem,
    caFile: ca.caFile,
    publicJwksUri: `${LOGIN_ORIGIN}/${tenantId}/discovery/v2.0/keys`,
    jwksUri: `${e.httpUrl}/${tenantId}/discovery/v2.0/keys`,
    directUrl: e.httpUrl,
    directHttpsUrl: e.httpsUrl,
    log: e.log,
    faults: e.faults,
    proxy: p,
    get user() {
      return e.user;
    },
    signIn: (who) => e.signIn(who),
    grantConsent: (clientId, apiClientId) => e.grantConsent(clientId, apiClientId),
    revokeConsent: (clientId, apiClientId) => e.revokeConsent(clientId, apiClientId),
    pendingDeviceCodes: () => e.pendingDeviceCodes(),
    completeDeviceCode: (userCode, outcome) => e.completeDeviceCode(userCode, outcome),
    expireRefreshTokens: () => e.expireRefreshTokens(),
    revokeRefreshTokens: () => e.revokeRefreshTokens(),
    setRedirectStandIn: (mode) => {
      e.config.redirectStandIn = mode;
    },
    mintAccessToken: (overrides) => e.mintAccessToken(overrides),
    clientSettings: {
      settings: { 'http.proxy': p.url },
      env: { SSL_CERT_FILE: ca.caBundleFile },
      // The pages the provider opens: the sign-in page, and where a device code is entered.
      codeServerArgs: ['--link-protection-trusted-domains', LOGIN_ORIGIN, '--link-protection-trusted-domains', 'https://microsoft.com'],
      chromiumArgs: [`--proxy-server=${p.url}`, `--ignore-certificate-errors-spki-list=${spkiHash(ca.certPem)}`]
    },
    async close() {
      await Promise.allSettled([p.close(), e.close()]);
      await ca.dispose();
    }
  };
}

/** VS Code's special scopes that pick this emulator's tenant and a client for `getSession('microsoft', ...)`. */
export function vscodeScopes(emulator: Pick<RunningEntraEmulator, 'scope' | 'tenantId'>, clientId = VSCODE_CLIENT_ID): string[] {
  return [emulator.scope, `VSCODE_TENANT:${emulator.tenantId}`, ...(clientId === VSCODE_CLIENT_ID ? [] : [`VSCODE_CLIENT_ID:${clientId}`])];
}

/** base64(SHA-256(SubjectPublicKeyInfo)): what Chromium's `--ignore-certificate-errors-spki-list` pins. */
export function spkiHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
