export { OAuthClient, toAccessToken, type BrowserOpener, type OAuthClientOptions, type PreRegisteredClient, type SignInOptions, type VerifiedDiscovery } from './client';
export { OAuthRefusedError, type OAuthRefusal } from '../../common/oauth/errors';
export { startLoopbackListener, type AuthorizationResponse, type LoopbackListener, type LoopbackOptions } from './loopback';
export { OAuthStore, clientKey, tokenKey, normalizeScope, type SecretStore, type TokenRecord } from '../../common/oauth/store';
export { checkAuthorizationUrl } from '../../common/oauth/urls';
