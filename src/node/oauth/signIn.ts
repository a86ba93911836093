/** The interactive sign-in: client identity, scope, browser, loopback redirect, code redemption. */
import { auth, registerClient, RegistrationRejectedError } from '@modelcontextprotocol/client';
import type { BearerChallenge } from '../../common/auth/challenge';
import { ProtocolError } from '../../common/errors';
import { normalizeScope, type TokenRecord } from '../../common/oauth/store';
import type { VerifiedDiscovery } from './discovery';
import { FlowProvider } from './flow';
import { toRecord } from './grants';
import { startLoopbackListener } from './loopback';
import type { OAuthContext } from './options';

export interface SignInOptions {
  /** Scopes to ask for; empty or absent means challenge → `scopes_supported` → omit (B7). */
  readonly scopes?: readonly string[];
  /** A 401/403 challenge the caller already has; otherwise the server is probed once. */
  readonly challenge?: BearerChallenge;
  readonly signal?: AbortSignal;
}

/** Opens the browser, waits for the loopback redirect, redeems the code and stores the grant. */
export async function signInInteractively(ctx: OAuthContext, serverUrl: URL, discovery: VerifiedDiscovery, challenge: BearerChallenge | undefined, options: SignInOptions): Promise<TokenRecord> {
  const requested = options.scopes?.length ? options.scopes.join(' ') : undefined;
  const scope = selectScope(ctx, discovery, requested, challenge);

  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const listener = await startLoopbackListener({ timeoutMs: ctx.options.authorizationTimeoutMs ?? 300_000, signal });
  try {
    const flow = new FlowProvider(ctx, discovery, { mode: 'interactive', redirectUrl: listener.redirectUrl, signal });
    await ensureRegistered(ctx, flow, discovery, scope);
    ctx.log.info(`signing in to ${serverUrl.href} at ${discovery.issuer}${scope ? ` for scope "${scope}"` : ''}`);
    await auth(flow, { serverUrl, ...(scope ? { scope } : {}), fetchFn: ctx.endpointFetch });
    const response = await listener.response;
    flow.checkResponse(response);
    await auth(flow, { serverUrl, ...(scope ? { scope } : {}), authorizationCode: response.code as string, ...(response.iss !== undefined ? { iss: response.iss } : {}), fetchFn: ctx.endpointFetch });
    const tokens = flow.savedTokens;
    if (!tokens) {
      throw new ProtocolError('The authorization server returned no tokens.');
    }
    const record = toRecord(ctx, discovery, normalizeScope(scope), tokens, flow.resource);
    await ctx.store.saveToken(record);
    ctx.log.info(`signed in to ${serverUrl.href} as ${record.account.label}`);
    return record;
  } finally {
    controller.abort();
    await listener.close();
  }
}

/**
 * Dynamic registration (the last choice of client identity) done before `auth()`, so a
 * server that refuses the resource scope in a registration (oidc-provider does: it is not
 * one of its own scopes) gets a second request without `scope`, which RFC 7591 allows.
 */
async function ensureRegistered(ctx: OAuthContext, flow: FlowProvider, discovery: VerifiedDiscovery, scope: string | undefined): Promise<void> {
  if (await flow.clientInformation()) {
    return;
  }
  if (discovery.metadata.client_id_metadata_document_supported === true && flow.clientMetadataUrl) {
    return;
  }
  if (!discovery.metadata.registration_endpoint) {
    throw new ProtocolError(`${discovery.issuer} does not support dynamic client registration; set a pre-registered client id (secureMcp.auth.clientId).`);
  }
  const register = (s: string | undefined) => registerClient(discovery.issuer, { metadata: discovery.metadata, clientMetadata: flow.clientMetadata, ...(s ? { scope: s } : {}), fetchFn: ctx.endpointFetch });
  let info;
  try {
    info = await register(scope);
  } catch (e) {
    if (!isInvalidClientMetadata(e) || !scope) {
      throw e;
    }
    ctx.log.info(`${discovery.issuer} refused the scope in the registration; registering without it`);
    info = await register(undefined);
  }
  await flow.saveClientInformation({ ...info, issuer: discovery.issuer });
  ctx.log.info(`registered with ${discovery.issuer} as client ${info.client_id}`);
}

/** B7: challenge scope → PRM `scopes_supported` → omit; plus `offline_access` when the AS offers it. */
function selectScope(ctx: OAuthContext, discovery: VerifiedDiscovery, requested: string | undefined, challenge: BearerChallenge | undefined): string | undefined {
  let scope = requested || challenge?.scope || discovery.resourceMetadata?.scopes_supported?.join(' ') || undefined;
  if (scope && (ctx.options.requestOfflineAccess ?? true)
    && discovery.metadata.scopes_supported?.includes('offline_access') && !scope.split(' ').includes('offline_access')) {
    scope = `${scope} offline_access`;
  }
  return scope;
}

/** RFC 7591's refusal of the submitted metadata: 400 with error `invalid_client_metadata`. */
function isInvalidClientMetadata(e: unknown): boolean {
  if (!(e instanceof RegistrationRejectedError) || e.status !== 400) {
    return false;
  }
  try {
    return (JSON.parse(e.body) as { error?: unknown }).error === 'invalid_client_metadata';
  } catch {
    return false;
  }
}
