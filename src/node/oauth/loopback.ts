import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeclinedByUserError } from '../../common/errors';
import { OAuthRefusedError } from '../../common/oauth/errors';

/** What the authorization server sent back through the browser (RFC 6749 §4.1.2, RFC 9207). */
export interface AuthorizationResponse {
  readonly code?: string;
  readonly state?: string;
  readonly iss?: string;
  readonly error?: string;
  readonly errorDescription?: string;
}

export interface LoopbackListener {
  /** `http://127.0.0.1:<port>/callback`, the redirect URI of this one flow. */
  readonly redirectUrl: string;
  /** Settles once: the first callback, a timeout, or cancellation. */
  readonly response: Promise<AuthorizationResponse>;
  close(): Promise<void>;
}

export interface LoopbackOptions {
  /** How long the user has to finish in the browser. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Path of the redirect URI; default `/callback`. */
  readonly path?: string;
}

const CALLBACK_PATH = '/callback';

/**
 * A one-shot redirect listener (docs/security.md A8, RFC 8252 §7.3): 127.0.0.1 only, an
 * ephemeral port, the first request to the callback path wins, every later one gets a
 * refusal page. Pages are static text: nothing from the query is reflected, so a
 * crafted redirect cannot inject markup into a page served from this origin.
 */
export async function startLoopbackListener(options: LoopbackOptions): Promise<LoopbackListener> {
  const path = options.path ?? CALLBACK_PATH;
  let settle: { resolve: (r: AuthorizationResponse) => void; reject: (e: Error) => void } | undefined;
  const response = new Promise<AuthorizationResponse>((resolve, reject) => { settle = { resolve, reject }; });
  // The caller may never await it (e.g. cancelled before the browser opened).
  response.catch(() => undefined);
  let used = false;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== path) {
      send(res, 404, 'Not found', 'This address only receives the sign-in response for Secure MCP.');
      return;
    }
    if (used) {
      send(res, 400, 'Sign-in link already used', 'This sign-in response was already received. Return to VS Code; if sign-in did not finish, start it again there.');
      return;
    }
    used = true;
    const q = url.searchParams;
    const result: AuthorizationResponse = {
      ...(q.get('code') !== null ? { code: q.get('code') as string } : {}),
      ...(q.get('state') !== null ? { state: q.get('state') as string } : {}),
      ...(q.get('iss') !== null ? { iss: q.get('iss') as string } : {}),
      ...(q.get('error') !== null ? { error: q.get('error') as string } : {}),
      ...(q.get('error_description') !== null ? { errorDescription: q.get('error_description') as string } : {})
    };
    if (result.error !== undefined || result.code === undefined) {
      send(res, 200, 'Sign-in did not complete', 'The authorization server did not grant access. Return to VS Code for details. You can close this tab.');
    } else {
      send(res, 200, 'Signed in', 'Secure MCP received the sign-in response. You can close this tab and return to VS Code.');
    }
    finish(undefined, result);
  });
  server.keepAliveTimeout = 1000;

  const timer = setTimeout(() => finish(new OAuthRefusedError('timeout', `Sign-in was not completed within ${Math.round(options.timeoutMs / 1000)} seconds.`)), options.timeoutMs);
  const onAbort = () => finish(new DeclinedByUserError('Sign-in was cancelled.'));
  options.signal?.addEventListener('abort', onAbort, { once: true });

  function finish(error: Error | undefined, result?: AuthorizationResponse): void {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    if (error) {
      used = true;
      settle?.reject(error);
    } else if (result) {
      settle?.resolve(result);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  if (options.signal?.aborted) {
    onAbort();
  }

  return {
    redirectUrl: `http://127.0.0.1:${port}${path}`,
    response,
    close: async () => {
      finish(new DeclinedByUserError('Sign-in was abandoned.'));
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
  };
}

function send(res: http.ServerResponse, status: number, title: string, text: string): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>`
    + '<meta name="viewport" content="width=device-width, initial-scale=1">'
    + '<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style>'
    + `</head><body><h1>${title}</h1><p>${text}</p></body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    connection: 'close'
  });
  res.end(body);
}
