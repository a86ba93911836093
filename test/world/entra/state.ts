/**
 * The emulator's memory: who is signed in, consents, authorization codes, refresh tokens and
 * device codes, and the one place tokens are issued from.
 */
import * as crypto from 'node:crypto';
import type { EntraApp, EntraConfig, EntraUser } from './config';
import { fail } from './errors';
import type { Directory, ResolvedScopes } from './scopes';
import { GRAPH_APP } from './scopes';
import { accessTokenClaims, clientInfo, idTokenClaims, sign, type SigningKey } from './tokens';

export interface AuthCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string | undefined;
  scope: string;
  user: EntraUser;
  sessionId: string;
  nonce: string | undefined;
  expiresAt: number;
  redeemed: boolean;
}

export interface RefreshGrant {
  clientId: string;
  user: EntraUser;
  sessionId: string;
  /** The scope string of the request that created the grant; a refresh without `scope` reuses it. */
  scope: string;
  issuedAt: number;
  /** Inactivity clock: a refresh token unused this long fails with AADSTS700082. */
  lastUsedAt: number;
  revoked: boolean;
}

export interface DeviceCode {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  status: 'pending' | 'approved' | 'declined' | 'redeemed';
  user?: EntraUser;
}

const random = (bytes: number) => crypto.randomBytes(bytes).toString('base64url');

export class EmulatorState implements Directory {
  readonly tenantName: string;
  readonly apps: EntraApp[];
  readonly consents = new Set<string>();
  readonly codes = new Map<string, AuthCode>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  readonly deviceCodes = new Map<string, DeviceCode>();
  private signedIn: EntraUser;
  private readonly sessions = new Map<string, string>();

  constructor(readonly config: EntraConfig, readonly key: SigningKey) {
    this.tenantName = config.tenantName;
    this.apps = config.apps;
    this.signedIn = config.users[0]!;
  }

  get user(): EntraUser {
    return this.signedIn;
  }

  /** Switches the browser's signed-in account (by oid or preferred_username). */
  signIn(who: string): EntraUser {
    const user = this.config.users.find((u) => u.oid === who || u.preferredUsername === who);
    if (!user) {
      throw new Error(`no emulator user ${who}`);
    }
    this.signedIn = user;
    return user;
  }

  /** Entra's browser session id (`sid`, `session_state`) for a user, stable until `signOut`. */
  sessionOf(user: EntraUser): string {
    let sid = this.sessions.get(user.oid);
    if (!sid) {
      sid = crypto.randomUUID();
      this.sessions.set(user.oid, sid);
    }
    return sid;
  }

  signOut(user: EntraUser): void {
    this.sessions.delete(user.oid);
  }

  isTenant(segment: string): boolean {
    const s = segment.toLowerCase();
    return s === this.config.tenantId.toLowerCase() || s === 'organizations' || s === 'common' || this.config.tenantDomains.some((d) => d.toLowerCase() === s);
  }

  newCode(code: Omit<AuthCode, 'expiresAt' | 'redeemed'>): string {
    const value = `1.${random(96)}`;
    this.codes.set(value, { ...code, expiresAt: Date.now() + 10 * 60_000, redeemed: false });
    return value;
  }

  newDeviceCode(clientId: string, scope: string): DeviceCode {
    const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    const userCode = Array.from(crypto.randomBytes(9), (b) => alphabet[b % alphabet.length]).join('');
    const entry: DeviceCode = {
      deviceCode: `DAQABAAEAAAD${random(120)}`,
      userCode,
      clientId,
      scope,
      expiresAt: Date.now() + this.config.deviceCodeLifetimeSeconds * 1000,
      status: 'pending'
    };
    this.deviceCodes.set(entry.deviceCode, entry);
    return entry;
  }

  /** Device codes nobody has approved or declined yet, newest last. */
  pendingDeviceCodes(): DeviceCode[] {
    return [...this.deviceCodes.values()].filter((d) => d.status === 'pending' && d.expiresAt > Date.now());
  }

  /**
   * The user at the device-login page settles a pending code (the newest when none is named)
   * as the browser's signed-in user; returns the code, or undefined when none is pending.
   */
  settleDeviceCode(userCode: string | undefined, outcome: 'approve' | 'decline'): string | undefined {
    const pending = this.pendingDeviceCodes();
    const entry = userCode ? pending.find((d) => d.userCode === userCode) : pending.at(-1);
    if (!entry) {
      return undefined;
    }
    entry.status = outcome === 'approve' ? 'approved' : 'declined';
    entry.user = this.user;
    return entry.userCode;
  }

  /** Refresh tokens still valid, for tests that expire or revoke them. */
  liveRefreshTokens(): RefreshGrant[] {
    return [...this.refreshTokens.values()].filter((g) => !g.revoked);
  }

  /** What the token endpoint answers for a delegated grant. */
  async issue(input: {
    client: EntraApp;
    user: EntraUser;
    sessionId: string;
    resolved: ResolvedScopes;
    scope: string;
    nonce?: string | undefined;
    clientInfoRequested: boolean;
  }): Promise<Record<string, unknown>> {
    const { config } = this;
    const { resolved } = input;
    const wantsRefresh = resolved.oidc.includes('offline_access');
    const wantsIdToken = resolved.oidc.includes('openid');
    const access = await sign(this.key, accessTokenClaims({
      tenantId: config.tenantId,
      user: input.user,
      audience: resolved.api === GRAPH_APP ? GRAPH_APP.clientId : resolved.api.clientId,
      clientId: input.client.clientId,
      scopes: resolved.names,
      sessionId: input.sessionId,
      lifetimeSeconds: config.accessTokenLifetimeSeconds
    }));
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: resolved.responseScope,
      expires_in: config.accessTokenLifetimeSeconds,
      ext_expires_in: config.accessTokenLifetimeSeconds,
      access_token: access
    };
    if (wantsRefresh) {
      const rt = `1.${random(200)}`;
      const now = Date.now();
      this.refreshTokens.set(rt, { clientId: input.client.clientId, user: input.user, sessionId: input.sessionId, scope: input.scope, issuedAt: now, lastUsedAt: now, revoked: false });
      body.refresh_token = rt;
      body.refresh_token_expires_in = config.refreshTokenLifetimeSeconds;
    }
    if (wantsIdToken) {
      body.id_token = await sign(this.key, idTokenClaims({
        tenantId: config.tenantId,
        user: input.user,
        clientId: input.client.clientId,
        sessionId: input.sessionId,
        lifetimeSeconds: config.idTokenLifetimeSeconds,
        ...(input.nonce ? { nonce: input.nonce } : {})
      }));
    }
    if (input.clientInfoRequested) {
      body.client_info = clientInfo(input.user.oid, config.tenantId);
    }
    return body;
  }

  /** Looks a refresh token up the way Entra judges it. */
  refreshGrant(token: string, clientId: string): RefreshGrant {
    const grant = this.refreshTokens.get(token);
    if (!grant) {
      return fail(9002313);
    }
    if (grant.revoked) {
      return fail(50173);
    }
    if (grant.clientId !== clientId) {
      return fail(70000);
    }
    const inactiveMs = Date.now() - grant.lastUsedAt;
    if (inactiveMs > this.config.refreshTokenLifetimeSeconds * 1000) {
      return fail(700082, { issuedAt: new Date(grant.issuedAt).toISOString(), inactive: formatSpan(inactiveMs) });
    }
    return grant;
  }
}

/** .NET TimeSpan style `d.hh:mm:ss`, as AADSTS700082 words the inactivity. */
function formatSpan(ms: number): string {
  const total = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(total / 86400)}.${pad(Math.floor(total / 3600) % 24)}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}
