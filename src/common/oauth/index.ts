export { OAuthClient, toAccessToken, type BrowserOpener, type OAuthClientOptions, type PreRegisteredClient, type SignInOptions, type VerifiedDiscovery } from './client';
export { OAuthRefusedError, type OAuthRefusal } from './errors';
export { startLoopbackListener, type AuthorizationResponse, type LoopbackListener, type LoopbackOptions } from './loopback';
export { OAuthStore, clientKey, tokenKey, normalizeScope, type SecretStore, type TokenRecord } from './store';
export { checkAuthorizationUrl } from './urls';
