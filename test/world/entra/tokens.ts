/**
 * Signing and token shapes: one RS256 key per emulator (published at `/discovery/v2.0/keys`),
 * v2 access tokens and id_tokens as Entra issues them, and `client_info`.
 */
import * as crypto from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { LOGIN_ORIGIN, type EntraUser } from './config';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** Public JWK with `kid`, `use`, `x5t`, as Entra's key document lists it. */
  jwk: JWK;
}

export async function createSigningKey(tenantId: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const kid = crypto.randomBytes(20).toString('base64url');
  const jwk = { ...(await exportJWK(publicKey)), kid, x5t: kid, use: 'sig', issuer: issuerOf(tenantId) };
  return { kid, privateKey, jwk };
}

export const issuerOf = (tenantId: string) => `${LOGIN_ORIGIN}/${tenantId}/v2.0`;

/** `client_info` of token and authorize responses: base64url(`{"uid":oid,"utid":tid}`). */
export function clientInfo(oid: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: oid, utid: tenantId })).toString('base64url');
}

/** Entra's `sub` is pairwise: stable per user and app, different across apps. */
function pairwiseSub(oid: string, appId: string): string {
  return crypto.createHash('sha256').update(`${oid}|${appId}`).digest('base64url').slice(0, 43);
}

const now = () => Math.floor(Date.now() / 1000);
const uti = () => crypto.randomBytes(16).toString('base64url').slice(0, 22);

export async function sign(key: SigningKey, claims: Record<string, unknown>): Promise<string> {
  const defined = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new SignJWT(defined).setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: key.kid }).sign(key.privateKey);
}

export interface DelegatedTokenInput {
  tenantId: string;
  user: EntraUser;
  /** API client id (GUID): `aud`. */
  audience: string;
  clientId: string;
  /** Bare scope names for `scp`. */
  scopes: string[];
  sessionId: string;
  lifetimeSeconds: number;
}

/** The claims of a v2 delegated access token. */
export function accessTokenClaims(input: DelegatedTokenInput): Record<string, unknown> {
  const iat = now();
  return {
    aud: input.audience,
    iss: issuerOf(input.tenantId),
    iat,
    nbf: iat,
    exp: iat + input.lifetimeSeconds,
    aio: crypto.randomBytes(24).toString('base64url'),
    azp: input.clientId,
    azpacr: '0',
    name: input.user.name,
    oid: input.user.oid,
    preferred_username: input.user.preferredUsername,
    rh: `0.${crypto.randomBytes(12).toString('base64url')}.`,
    scp: input.scopes.join(' '),
    sid: input.sessionId,
    sub: pairwiseSub(input.user.oid, input.audience),
    tid: input.tenantId,
    uti: uti(),
    ver: '2.0'
  };
}

/** The claims of an app-only (client credentials) v2 token: `roles`, `idtyp: app`, no `scp`. */
export function appTokenClaims(input: { tenantId: string; audience: string; clientId: string; roles: string[]; servicePrincipalOid: string; lifetimeSeconds: number }): Record<string, unknown> {
  const iat = now();
  return {
    aud: input.audience,
    iss: issuerOf(input.tenantId),
    iat,
    nbf: iat,
    exp: iat + input.lifetimeSeconds,
    azp: input.clientId,
    azpacr: '1',
    idtyp: 'app',
    oid: input.servicePrincipalOid,
    roles: input.roles,
    sub: input.servicePrincipalOid,
    tid: input.tenantId,
    uti: uti(),
    ver: '2.0'
  };
}

export function idTokenClaims(input: { tenantId: string; user: EntraUser; clientId: string; sessionId: string; lifetimeSeconds: number; nonce?: string }): Record<string, unknown> {
  const iat = now();
  return {
    aud: input.clientId,
    iss: issuerOf(input.tenantId),
    iat,
    nbf: iat,
    exp: iat + input.lifetimeSeconds,
    name: input.user.name,
    nonce: input.nonce,
    oid: input.user.oid,
    preferred_username: input.user.preferredUsername,
    rh: `0.${crypto.randomBytes(12).toString('base64url')}.`,
    sid: input.sessionId,
    sub: pairwiseSub(input.user.oid, input.clientId),
    tid: input.tenantId,
    uti: uti(),
    ver: '2.0'
  };
}
