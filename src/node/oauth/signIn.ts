/** The interactive sign-in: client identity, scope, browser, loopback redirect, code redemption. */
import { auth, registerClient, RegistrationRejectedError, type OAuthClientInformationMixed } from '@modelcontextprotocol/client';
import type { BearerChallenge } from '../../common/auth/challenge';
import { AuthRequiredError, ProtocolError } from '../../common/errors';
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
    try {
      await auth(flow, { serverUrl, ...(scope ? { scope } : {}), authorizationCode: response.code as string, ...(response.iss !== undefined ? { iss: response.iss } : {}), fetchFn: ctx.endpointFetch });
    } catch (e) {
      if (flow.clientRefused) {
        // The code belongs to the refused client, so a new registration cannot redeem it.
        throw new AuthRequiredError(`${discovery.issuer} no longer accepts this client's registration (invalid_client), so it was removed. Sign in again to register anew.`, { cause: e });
      }
      throw e;
    }
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
  const current = await flow.clientInformation();
  if (current && (ctx.options.preRegisteredClient?.clientId || coversRedirect(current, flow.redirectUrl))) {
    return;
  }
  if (current) {
    ctx.log.info(`the registration with ${discovery.issuer} (client ${current.client_id}) is for another redirect URI; registering again`);
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

/**
 * Whether a stored registration covers this flow's redirect URI: the same URI, or (RFC 8252
 * section 7.3) the same loopback URI on another port, since every sign-in listens on a new
 * one. A registration that lists no redirect URIs is taken as it is.
 */
export function coversRedirect(info: OAuthClientInformationMixed, redirectUrl: string): boolean {
  const registered = (info as { redirect_uris?: unknown }).redirect_uris;
  if (!Array.isArray(registered)) {
    return true;
  }
  const wanted = portless(redirectUrl);
  return registered.some(u => typeof u === 'string' && (u === redirectUrl || (wanted !== undefined && portless(u) === wanted)));
}

/** A loopback `http:` URI without its port, or undefined for any other URI. */
function portless(uri: string): string | undefined {
  try {
    const u = new URL(uri);
    if (u.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname)) {
      return undefined;
    }
    u.port = '';
    return u.href;
  } catch {
    return undefined;
  }
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
