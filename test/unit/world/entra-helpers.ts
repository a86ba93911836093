/** Shared moves for the Entra emulator tests: PKCE, the browser's hops, a loopback callback. */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { closeServer, listen, LOOPBACK_HOST } from '../../world/net';
import { requestViaProxy, type RunningEntraEmulator, type TunnelResponse } from '../../world/entra';

export const LOGIN = 'https://login.microsoftonline.com';

export function pkce(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

export const viaProxy = (emu: RunningEntraEmulator) => ({
  get: (url: string, timeoutMs?: number) => requestViaProxy({ proxyUrl: emu.proxyUrl, ca: emu.caPem, url, ...(timeoutMs ? { timeoutMs } : {}) }),
  post: (url: string, form: Record<string, string>, timeoutMs?: number) => requestViaProxy({ proxyUrl: emu.proxyUrl, ca: emu.caPem, url, form, ...(timeoutMs ? { timeoutMs } : {}) })
});

/** The fields of an auto-submitting form_post page. */
export function parseFormPost(html: string): { action: string; fields: Record<string, string> } {
  const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (!action) {
    throw new Error(`not a form_post page: ${html.slice(0, 200)}`);
  }
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)" \/>/g)) {
    fields[unescape(m[1]!)] = unescape(m[2]!);
  }
  return { action: unescape(action), fields };
}

export interface Callback {
  origin: string;
  /** Raw request targets received (`/path?query`). */
  readonly hits: string[];
  close(): Promise<void>;
}

/** A loopback stand-in for code-server's callback page: records what arrives. */
export async function startCallback(): Promise<Callback> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  const port = await listen(server);
  return { origin: `http://${LOOPBACK_HOST}:${port}`, hits, close: () => closeServer(server) };
}

export function json(res: Pick<TunnelResponse, 'body'>): Record<string, unknown> {
  return JSON.parse(res.body) as Record<string, unknown>;
}

export interface SignInResult {
  authorize: TunnelResponse;
  formPost: { action: string; fields: Record<string, string> };
  token: TunnelResponse;
  tokens: Record<string, unknown>;
}

/**
 * The provider's protocol-handler flow, hop by hop: /authorize (form_post) → the browser posts
 * to vscode.dev/redirect → it forwards to the callback → MSAL redeems the code.
 */
export async function signInThroughRedirect(emu: RunningEntraEmulator, callback: Callback, options: { clientId: string; scope: string; tenant?: string; extra?: Record<string, string> }): Promise<SignInResult> {
  const http2 = viaProxy(emu);
  const { verifier, challenge } = pkce();
  const tenant = options.tenant ?? emu.tenantId;
  const state = `${callback.origin}/stable-abc/callback?vscode-reqid=1&vscode-scheme=code-oss&vscode-authority=vscode.microsoft-authentication`;
  const query = new URLSearchParams({
    client_id: options.clientId,
    scope: `${options.scope} openid profile offline_access`,
    redirect_uri: 'https://vscode.dev/redirect',
    response_type: 'code',
    response_mode: 'form_post',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    client_info: '1',
    prompt: 'select_account',
    ...options.extra
  });
  const authorize = await http2.get(`${LOGIN}/${tenant}/oauth2/v2.0/authorize?${query}`);
  const formPost = parseFormPost(authorize.body);
  const redirected = await http2.post(formPost.action, formPost.fields);
  if (redirected.status !== 302 || !redirected.headers.location) {
    throw new Error(`vscode.dev/redirect answered ${redirected.status}`);
  }
  const hit = await fetch(redirected.headers.location);
  await hit.arrayBuffer();
  const forwarded = new URL(callback.hits.at(-1)!, callback.origin);
  const code = forwarded.searchParams.get('code');
  if (!code) {
    return { authorize, formPost, token: { status: 0, headers: {}, body: '{}' }, tokens: {} };
  }
  const token = await http2.post(`${LOGIN}/${tenant}/oauth2/v2.0/token`, {
    client_id: options.clientId,
    grant_type: 'authorization_code',
    code,
    redirect_uri: 'https://vscode.dev/redirect',
    code_verifier: verifier,
    scope: `${options.scope} openid profile offline_access`,
    client_info: '1'
  });
  return { authorize, formPost, token, tokens: json(token) };
}
