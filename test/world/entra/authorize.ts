/**
 * `/authorize` as Entra answers it (client, tenant, redirect URI, PKCE S256 and scopes checked;
 * `code`, `client_info`, `session_state` and only `state` sent back by query, fragment or
 * form_post), an optional consent page, and the `https://vscode.dev/redirect` stand-in.
 */
import * as crypto from 'node:crypto';
import { aadError, AadFailure, type AadError } from './errors';
import { errorPage, escapeHtml, param, redirect, sendHtml, type Exchange } from './exchange';
import { findClient, redirectRegistered, resolveScopes } from './scopes';
import type { EmulatorState } from './state';

type ResponseMode = 'query' | 'fragment' | 'form_post';

interface PendingConsent {
  clientId: string;
  apiClientId: string;
  params: URLSearchParams;
}

/** Sends `params` to the client's redirect URI the way `response_mode` asks. */
function respond(ex: Exchange, redirectUri: string, mode: ResponseMode, params: [string, string][]): void {
  if (mode === 'form_post') {
    const inputs = params.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}" />`).join('');
    sendHtml(ex, 200, `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="${escapeHtml(redirectUri)}">${inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">window.setTimeout(function(){document.forms[0].submit()}, 0);</script></body></html>`);
    return;
  }
  const encoded = new URLSearchParams(params).toString();
  const separator = mode === 'fragment' ? '#' : redirectUri.includes('?') ? '&' : '?';
  redirect(ex, `${redirectUri}${separator}${encoded}`);
}

export function createAuthorize(state: EmulatorState) {
  const pending = new Map<string, PendingConsent>();

  /** Everything after the redirect URI is trusted: errors go back to the client with `state`. */
  const complete = (ex: Exchange, params: URLSearchParams): void => {
    const redirectUri = params.get('redirect_uri')!;
    const mode = (params.get('response_mode') ?? 'query') as ResponseMode;
    const stateParam = params.get('state') ?? undefined;
    const sendError = (err: AadError) => {
      ex.entry.aadsts = err.code;
      const description = `AADSTS${err.code}: ${err.message}\r\nTrace ID: ${crypto.randomUUID()}\r\nCorrelation ID: ${crypto.randomUUID()}\r\nTimestamp: ${new Date().toISOString().slice(0, 19).replace('T', ' ')}Z`;
      respond(ex, redirectUri, mode, [
        ['error', err.error],
        ['error_description', description],
        ['error_uri', `https://login.microsoftonline.com/error?code=${err.code}`],
        ...(stateParam !== undefined ? [['state', stateParam] as [string, string]] : [])
      ]);
    };
    try {
      if (ex.injected) {
        sendError(ex.injected);
        return;
      }
      const client = findClient(state, params.get('client_id') ?? undefined);
      const responseType = params.get('response_type') ?? '';
      if (responseType !== 'code') {
        sendError(aadError(700054, { responseType }));
        return;
      }
      const challenge = params.get('code_challenge') ?? undefined;
      const method = params.get('code_challenge_method') ?? (challenge ? 'plain' : undefined);
      if (!client.clientSecret && !challenge) {
        sendError(aadError(9002325));
        return;
      }
      if (challenge && method !== 'S256') {
        sendError(aadError(50148));
        return;
      }
      const scope = params.get('scope') ?? undefined;
      const resource = params.get('resource') ?? undefined;
      const byPage = state.config.consentPrompt === 'page';
      let resolved;
      try {
        resolved = resolveScopes(state, client, scope, { resource, ignoreConsent: byPage });
      } catch (err) {
        if (err instanceof AadFailure && err.aad.code === 65001) {
          // On /authorize consent is asked for, not refused as on /token: without a prompt, `consent_required`.
          sendError({ ...err.aad, error: 'consent_required' });
          return;
        }
        throw err;
      }
      if (byPage && !state.consents.has(`${client.clientId} ${resolved.api.clientId}`)) {
        try {
          resolveScopes(state, client, scope, { resource });
        } catch (err) {
          if (err instanceof AadFailure && err.aad.code === 65001) {
            const id = crypto.randomUUID();
            pending.set(id, { clientId: client.clientId, apiClientId: resolved.api.clientId, params });
            const tenant = ex.url.pathname.split('/')[1] ?? 'organizations';
            sendHtml(ex, 200, `<!DOCTYPE html><html><head><title>Permissions requested</title></head><body>
<h1>Permissions requested</h1><p>${escapeHtml(client.displayName)} wants to: ${escapeHtml(resolved.names.join(', '))} on ${escapeHtml(resolved.api.displayName)}</p>
<p>Signed in as ${escapeHtml(state.user.preferredUsername)}</p>
<form method="POST" action="/${escapeHtml(tenant)}/oauth2/v2.0/authorize/consent"><input type="hidden" name="pending" value="${id}" /><button name="accept" value="yes" id="accept">Accept</button><button name="accept" value="no" id="cancel">Cancel</button></form>
</body></html>`);
            return;
          }
          throw err;
        }
      }
      const user = state.user;
      const sessionId = state.sessionOf(user);
      const code = state.newCode({
        clientId: client.clientId,
        redirectUri,
        codeChallenge: challenge,
        scope: scope!,
        user,
        sessionId,
        nonce: params.get('nonce') ?? undefined
      });
      const answer: [string, string][] = [['code', code]];
      if (params.get('client_info') === '1') {
        answer.push(['client_info', Buffer.from(JSON.stringify({ uid: user.oid, utid: state.config.tenantId })).toString('base64url')]);
      }
      if (stateParam !== undefined) {
        answer.push(['state', stateParam]);
      }
      answer.push(['session_state', sessionId]);
      respond(ex, redirectUri, mode, answer);
    } catch (err) {
      if (err instanceof AadFailure) {
        sendError(err.aad);
        return;
      }
      throw err;
    }
  };

  return {
    authorize(ex: Exchange, tenant: string): void {
      const params = ex.req.method === 'POST' ? ex.form : ex.query;
      if (!state.isTenant(tenant)) {
        errorPage(ex, aadError(90002, { tenant }));
        return;
      }
      let client;
      try {
        client = findClient(state, params.get('client_id') ?? undefined);
      } catch (err) {
        if (err instanceof AadFailure) {
          errorPage(ex, err.aad);
          return;
        }
        throw err;
      }
      const redirectUri = params.get('redirect_uri') ?? '';
      if (!redirectRegistered(client, redirectUri)) {
        errorPage(ex, aadError(50011, { redirectUri, clientId: client.clientId }));
        return;
      }
      complete(ex, params);
    },

    /** The consent page's Accept / Cancel. */
    consent(ex: Exchange): void {
      const id = param(ex, 'pending') ?? '';
      const entry = pending.get(id);
      if (!entry) {
        sendHtml(ex, 400, '<p>This consent request is no longer valid.</p>');
        return;
      }
      pending.delete(id);
      if (param(ex, 'accept') === 'yes') {
        state.consents.add(`${entry.clientId} ${entry.apiClientId}`);
        complete(ex, entry.params);
        return;
      }
      complete({ ...ex, injected: aadError(65004, {}, 'access_denied') }, entry.params);
    }
  };
}

/** Parameters an authorization response carries that the stand-in passes on. */
const FORWARDED = ['code', 'state', 'client_info', 'session_state', 'error', 'error_description', 'error_uri'];

/**
 * `https://vscode.dev/redirect`: sends the response on to the URL named by `state`, as it came.
 * It repairs nothing: a `state` whose callback was mangled on the way in stays mangled.
 */
export function redirectStandIn(ex: Exchange, mode: 'faithful' | 'repairing' = 'faithful'): void {
  const state = param(ex, 'state');
  const target = mode === 'repairing' && state ? repairedCallback(state) : state;
  let url: URL | undefined;
  try {
    url = target ? new URL(target) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    sendHtml(ex, 400, '<!DOCTYPE html><html><body><p>vscode.dev/redirect: the state parameter is not a URL to return to.</p></body></html>');
    return;
  }
  for (const name of FORWARDED) {
    const value = name === 'state' ? target : param(ex, name);
    if (value !== undefined) {
      url.searchParams.append(name, value);
    }
  }
  redirect(ex, url.toString());
}

/**
 * What a redirect page that knows code-server would have to do with the `state` code-server
 * mangled on the way to /authorize (the callback's `?` double-encoded, its own parameters
 * split off into separate /authorize parameters that Entra does not echo): decode the `?`
 * and put back the scheme and authority of VS Code's Microsoft authentication extension.
 * Used only to show that everything after this one hop works; whether the real
 * vscode.dev/redirect can do it is what the faithful mode measures.
 */
function repairedCallback(state: string): string {
  const decoded = state.replace(/%3F/i, '?');
  const url = URL.canParse(decoded) ? new URL(decoded) : undefined;
  if (!url) {
    return state;
  }
  if (!url.searchParams.has('vscode-scheme')) {
    url.searchParams.set('vscode-scheme', 'code-oss');
  }
  if (!url.searchParams.has('vscode-authority')) {
    url.searchParams.set('vscode-authority', 'vscode.microsoft-authentication');
  }
  return url.toString();
}
