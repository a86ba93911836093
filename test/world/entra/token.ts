/**
 * `/token` (authorization_code with PKCE and redirect URI checks, refresh_token, device_code,
 * client_credentials) and `/devicecode`, answering errors as Entra does.
 */
import * as crypto from 'node:crypto';
import { aadError, AadFailure, fail } from './errors';
import { param, sendAadError, sendJson, type Exchange } from './exchange';
import { checkClientAuth, findClient, resolveScopes, type ResolvedScopes } from './scopes';
import type { EmulatorState } from './state';
import { appTokenClaims, sign } from './tokens';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** The short name Entra also accepts, and the one MSAL sends. */
export const DEVICE_CODE_GRANT_SHORT = 'device_code';
export const DEVICE_LOGIN_URL = 'https://microsoft.com/devicelogin';

const SERVICE_PRINCIPAL_OID = '33333333-cccc-4ccc-8ccc-333333333333';

function s256(verifier: string): string {
  return crypto.createHash('sha256').update(verifier).digest('base64url');
}

function requireParam(ex: Exchange, name: string): string {
  const value = param(ex, name);
  if (value === undefined || value === '') {
    return fail(900144, { parameter: name });
  }
  return value;
}

export function createTokenEndpoints(state: EmulatorState) {
  const guarded = async (ex: Exchange, tenant: string, body: () => Promise<void>) => {
    try {
      if (ex.req.method !== 'POST') {
        fail(900561);
      }
      if (!state.isTenant(tenant)) {
        fail(90002, { tenant });
      }
      if (ex.injected) {
        sendAadError(ex, ex.injected);
        return;
      }
      await body();
    } catch (err) {
      if (err instanceof AadFailure) {
        sendAadError(ex, err.aad);
        return;
      }
      throw err;
    }
  };

  const clientInfoRequested = (ex: Exchange) => param(ex, 'client_info') === '1';

  return {
    token: (ex: Exchange, tenant: string) => guarded(ex, tenant, async () => {
      const grantType = requireParam(ex, 'grant_type');
      const client = findClient(state, param(ex, 'client_id'));
      checkClientAuth(client, param(ex, 'client_secret'), param(ex, 'client_assertion'));
      const resource = param(ex, 'resource');
      switch (grantType) {
        case 'authorization_code': {
          const codeValue = requireParam(ex, 'code');
          const code = state.codes.get(codeValue);
          if (!code || code.clientId !== client.clientId) {
            fail(code ? 70000 : 9002313);
          }
          if (code!.redeemed) {
            fail(54005);
          }
          if (code!.expiresAt < Date.now()) {
            fail(70008);
          }
          const redirectUri = param(ex, 'redirect_uri') ?? '';
          if (redirectUri !== code!.redirectUri) {
            fail(500112, { redirectUri, expected: code!.redirectUri });
          }
          if (code!.codeChallenge !== undefined) {
            const verifier = param(ex, 'code_verifier');
            if (!verifier || s256(verifier) !== code!.codeChallenge) {
              fail(501481);
            }
          }
          const scope = param(ex, 'scope') ?? code!.scope;
          const resolved = resolveScopes(state, client, scope, { resource });
          code!.redeemed = true;
          sendJson(ex, 200, await state.issue({ client, user: code!.user, sessionId: code!.sessionId, resolved, scope, nonce: code!.nonce, clientInfoRequested: clientInfoRequested(ex) }));
          return;
        }
        case 'refresh_token': {
          const grant = state.refreshGrant(requireParam(ex, 'refresh_token'), client.clientId);
          const scope = param(ex, 'scope') ?? grant.scope;
          const resolved = resolveScopes(state, client, scope, { resource });
          grant.lastUsedAt = Date.now();
          sendJson(ex, 200, await state.issue({ client, user: grant.user, sessionId: grant.sessionId, resolved, scope, clientInfoRequested: clientInfoRequested(ex) }));
          return;
        }
        case DEVICE_CODE_GRANT:
        case DEVICE_CODE_GRANT_SHORT: {
          const entry = state.deviceCodes.get(requireParam(ex, 'device_code'));
          if (!entry || entry.clientId !== client.clientId || entry.status === 'redeemed') {
            fail(70000);
          }
          if (entry!.expiresAt < Date.now()) {
            fail(70020);
          }
          if (entry!.status === 'pending') {
            fail(70016);
          }
          if (entry!.status === 'declined') {
            fail(70019);
          }
          const resolved = resolveScopes(state, client, entry!.scope, { resource });
          entry!.status = 'redeemed';
          const user = entry!.user!;
          sendJson(ex, 200, await state.issue({ client, user, sessionId: state.sessionOf(user), resolved, scope: entry!.scope, clientInfoRequested: clientInfoRequested(ex) }));
          return;
        }
        case 'client_credentials': {
          if (!client.clientSecret) {
            fail(7000218);
          }
          const scope = requireParam(ex, 'scope');
          if (!/^\S+\/\.default$/.test(scope)) {
            fail(1002012, { scope });
          }
          let resolved: ResolvedScopes;
          try {
            resolved = resolveScopes(state, client, scope, { resource, ignoreConsent: true });
          } catch (err) {
            if (err instanceof AadFailure && err.aad.code === 650053) {
              throw new AadFailure(aadError(1002012, { scope }));
            }
            throw err;
          }
          const lifetime = state.config.accessTokenLifetimeSeconds;
          const access = await sign(state.key, appTokenClaims({
            tenantId: state.config.tenantId,
            audience: resolved.api.clientId,
            clientId: client.clientId,
            roles: resolved.api.appRoles ?? [],
            servicePrincipalOid: SERVICE_PRINCIPAL_OID,
            lifetimeSeconds: lifetime
          }));
          sendJson(ex, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: access });
          return;
        }
        default:
          fail(70003, { grantType });
      }
    }),

    devicecode: (ex: Exchange, tenant: string) => guarded(ex, tenant, async () => {
      const client = findClient(state, param(ex, 'client_id'));
      const scope = requireParam(ex, 'scope');
      // Consent is the user's business in the browser; it is judged when the code is redeemed.
      resolveScopes(state, client, scope, { resource: param(ex, 'resource'), ignoreConsent: true });
      const entry = state.newDeviceCode(client.clientId, scope);
      const { deviceCodeLifetimeSeconds, deviceCodeIntervalSeconds } = state.config;
      sendJson(ex, 200, {
        user_code: entry.userCode,
        device_code: entry.deviceCode,
        verification_uri: DEVICE_LOGIN_URL,
        expires_in: deviceCodeLifetimeSeconds,
        interval: deviceCodeIntervalSeconds,
        message: `To sign in, use a web browser to open the page ${DEVICE_LOGIN_URL} and enter the code ${entry.userCode} to authenticate.`
      });
    })
  };
}
