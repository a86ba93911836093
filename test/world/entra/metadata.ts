/** Instance discovery, OpenID Provider metadata and the signing keys, shaped like Entra's. */
import { LOGIN_HOST, LOGIN_ORIGIN } from './config';
import { aadError } from './errors';
import { sendAadError, sendJson, type Exchange } from './exchange';
import type { EmulatorState } from './state';

export function createMetadata(state: EmulatorState) {
  const { tenantId } = state.config;
  return {
    /** `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...` */
    instanceDiscovery(ex: Exchange): void {
      const authorizationEndpoint = ex.query.get('authorization_endpoint') ?? `${LOGIN_ORIGIN}/common/oauth2/v2.0/authorize`;
      let tenant: string;
      try {
        tenant = new URL(authorizationEndpoint).pathname.split('/')[1] || 'common';
      } catch {
        tenant = 'common';
      }
      sendJson(ex, 200, {
        tenant_discovery_endpoint: `${LOGIN_ORIGIN}/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [
          { preferred_network: LOGIN_HOST, preferred_cache: 'login.windows.net', aliases: [LOGIN_HOST, 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'] },
          { preferred_network: 'login.partner.microsoftonline.cn', preferred_cache: 'login.partner.microsoftonline.cn', aliases: ['login.partner.microsoftonline.cn', 'login.chinacloudapi.cn'] },
          { preferred_network: 'login.microsoftonline.us', preferred_cache: 'login.microsoftonline.us', aliases: ['login.microsoftonline.us', 'login.usgovcloudapi.net'] }
        ]
      });
    },

    /** `GET /{tenant}/v2.0/.well-known/openid-configuration`; no `code_challenge_methods_supported`, as Entra. */
    openidConfiguration(ex: Exchange, tenant: string): void {
      if (!state.isTenant(tenant)) {
        sendAadError(ex, aadError(90002, { tenant }));
        return;
      }
      const specific = state.isTenant(tenant) && !['common', 'organizations'].includes(tenant.toLowerCase());
      const t = specific ? tenantId : tenant;
      sendJson(ex, 200, {
        token_endpoint: `${LOGIN_ORIGIN}/${t}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${LOGIN_ORIGIN}/${t}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${LOGIN_ORIGIN}/${specific ? tenantId : '{tenantid}'}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
        authorization_endpoint: `${LOGIN_ORIGIN}/${t}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${LOGIN_ORIGIN}/${t}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${LOGIN_ORIGIN}/${t}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
        kerberos_endpoint: `${LOGIN_ORIGIN}/${t}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net'
      });
    },

    /** `GET /{tenant}/discovery/v2.0/keys` */
    keys(ex: Exchange, tenant: string): void {
      if (!state.isTenant(tenant)) {
        sendAadError(ex, aadError(90002, { tenant }));
        return;
      }
      sendJson(ex, 200, { keys: [state.key.jwk] });
    }
  };
}
