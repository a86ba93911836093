export { OAuthClient } from './client';
export type { VerifiedDiscovery } from './discovery';
export { toAccessToken } from './grants';
export type { BrowserOpener, OAuthClientOptions, PreRegisteredClient } from './options';
export type { SignInOptions } from './signIn';
export { OAuthRefusedError, type OAuthRefusal } from '../../common/oauth/errors';
export { startLoopbackListener, type AuthorizationResponse, type LoopbackListener, type LoopbackOptions } from './loopback';
export { OAuthStore, clientKey, tokenKey, normalizeScope, type SecretStore, type TokenRecord } from '../../common/oauth/store';
export { checkAuthorizationUrl } from '../../common/oauth/urls';
