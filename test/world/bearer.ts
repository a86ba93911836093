/**
 * Bearer-token validation for the world's MCP server, with the rules of an Entra-protected
 * API (docs/security.md C1–C8): RS256 via JWKS only, exact issuer and audience, exp/nbf required,
 * bounded clock skew, delegated tokens with the required `scp` only.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey
} from 'jose';

/** Most clock skew any validator in the world tolerates (C4). */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export interface JwksOptions {
  /** How long fetched keys count as fresh. Default 10 min. */
  cacheMaxAgeMs?: number;
  /** Least time between two fetches triggered by an unknown `kid`, and after a failed fetch. Default 30 s. */
  cooldownMs?: number;
  /** Per-fetch timeout. Default 5 s. */
  timeoutMs?: number;
}

export interface JwksResolver {
  getKey: JWTVerifyGetKey;
  /** JWKS fetch attempts so far, successful or not. */
  readonly fetches: number;
}

/**
 * jose's remote set gives the cache and the kid-miss cooldown; on top of it this keeps the
 * last good key set so an IdP outage after the cache went stale doesn't lock every user out
 * (C8), and it waits out a cooldown after a failed fetch instead of retrying per request.
 */
export function createJwksResolver(jwksUri: string, options: JwksOptions = {}): JwksResolver {
  let fetches = 0;
  let lastGood: JSONWebKeySet | undefined;
  let lastFailureAt = Number.NEGATIVE_INFINITY;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const remote = createRemoteJWKSet(new URL(jwksUri), {
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
    cooldownDuration: cooldownMs,
    timeoutDuration: options.timeoutMs ?? 5_000,
    [customFetch]: (url: string, init: RequestInit) => {
      fetches += 1;
      return fetch(url, init);
    }
  });
  const fromLastGood: JWTVerifyGetKey = (header, token) => {
    if (!lastGood) {
      throw new errors.JWKSNoMatchingKey();
    }
    return createLocalJWKSet(lastGood)(header, token);
  };
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (lastGood && !remote.fresh && Date.now() - lastFailureAt < cooldownMs) {
      return fromLastGood(header, token);
    }
    try {
      const key = await remote(header, token);
      lastGood = remote.jwks();
      return key;
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWSSignatureVerificationFailed) {
        lastGood = remote.jwks() ?? lastGood;
        throw err;
      }
      lastFailureAt = Date.now();
      if (lastGood) {
        return fromLastGood(header, token);
      }
      throw err;
    }
  };
  return {
    getKey,
    get fetches() {
      return fetches;
    }
  };
}

export interface BearerValidatorOptions {
  /** Accepted `iss` values, compared exactly. */
  issuers: string[];
  /** Accepted `aud` values, compared exactly. */
  audiences: string[];
  /** The delegated scope every token must carry in `scp`. */
  requiredScope: string;
  /** When set, `tid` must equal it. */
  tenantId?: string;
  jwks: JwksResolver;
  /** Default and maximum 300. */
  clockToleranceSeconds?: number;
}

/** The identity a request acts for; never contains the token itself. */
export interface AuthenticatedUser {
  oid: string;
  tid: string;
  /** The calling client (`azp`, or `appid` in v1 tokens). */
  clientId: string;
  scopes: string[];
  name?: string;
  username?: string;
  expiresAt: number;
}

export type BearerResult =
  | { ok: true; user: AuthenticatedUser; claims: JWTPayload }
  | { ok: false; status: 401 | 403; error: 'invalid_token' | 'insufficient_scope'; description: string };

/** Validates a bearer token; throws only on misconfiguration, never on a bad token. */
export type BearerValidator = (token: string) => Promise<BearerResult>;

export function createBearerValidator(options: BearerValidatorOptions): BearerValidator {
  if (options.issuers.length === 0 || options.issuers.some((i) => !i)) {
    throw new Error('bearer validation needs an issuer');
  }
  if (options.audiences.length === 0 || options.audiences.some((a) => !a)) {
    throw new Error('bearer validation needs an audience');
  }
  if (!options.requiredScope || /\s/.test(options.requiredScope)) {
    throw new Error('bearer validation needs one required scope (no spaces)');
  }
  const tolerance = options.clockToleranceSeconds ?? MAX_CLOCK_SKEW_SECONDS;
  if (!(tolerance >= 0 && tolerance <= MAX_CLOCK_SKEW_SECONDS)) {
    throw new Error(`clock tolerance must be between 0 and ${MAX_CLOCK_SKEW_SECONDS} seconds`);
  }
  const invalid = (description: string): BearerResult => ({ ok: false, status: 401, error: 'invalid_token', description });
  const insufficient = (description: string): BearerResult => ({ ok: false, status: 403, error: 'insufficient_scope', description });

  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, options.jwks.getKey, {
        algorithms: ['RS256'],
        issuer: options.issuers,
        audience: options.audiences,
        clockTolerance: tolerance,
        requiredClaims: ['exp', 'nbf', 'iss', 'aud']
      }));
    } catch (err) {
      return invalid(describeJoseError(err));
    }
    const tid = typeof payload.tid === 'string' ? payload.tid : undefined;
    if (options.tenantId !== undefined && tid !== options.tenantId) {
      return invalid('token is from another tenant');
    }
    const scp = typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [];
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    // Delegated tokens may carry user-assigned roles too; only roles *without* scp, or an
    // explicit idtyp=app, mark the app-only tokens this API refuses.
    if (payload.idtyp === 'app' || (roles.length > 0 && scp.length === 0)) {
      return insufficient('app-only tokens are not accepted; a delegated token is required');
    }
    if (!scp.includes(options.requiredScope)) {
      return insufficient(`the token lacks the ${options.requiredScope} scope`);
    }
    if (typeof payload.oid !== 'string' || !payload.oid || !tid) {
      return invalid('token has no oid or tid');
    }
    const clientId = typeof payload.azp === 'string' ? payload.azp : typeof payload.appid === 'string' ? payload.appid : '';
    return {
      ok: true,
      claims: payload,
      user: {
        oid: payload.oid,
        tid,
        clientId,
        scopes: scp,
        ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
        ...(typeof payload.preferred_username === 'string' ? { username: payload.preferred_username } : {}),
        expiresAt: payload.exp ?? 0
      }
    };
  };
}

function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) {
    return 'token expired';
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return `claim ${err.claim} is invalid (${err.reason})`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return 'signing algorithm not allowed';
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    return 'signing key not found';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return 'signature verification failed';
  }
  if (err instanceof errors.JOSEError) {
    return 'malformed token';
  }
  return 'token could not be validated';
}

/** Quotes a value for an auth-param (RFC 7235 quoted-string). */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export function buildChallenge(params: { error?: string; description?: string; scope?: string; resourceMetadata: string }): string {
  const parts: string[] = [];
  if (params.error) {
    parts.push(`error=${quote(params.error)}`);
  }
  if (params.description) {
    parts.push(`error_description=${quote(params.description)}`);
  }
  if (params.scope) {
    parts.push(`scope=${quote(params.scope)}`);
  }
  parts.push(`resource_metadata=${quote(params.resourceMetadata)}`);
  return `Bearer ${parts.join(', ')}`;
}
