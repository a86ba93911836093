/** One request and its answer, with the helpers every endpoint answers through. */
import type * as http from 'node:http';
import { errorBody, type AadError } from './errors';
import type { LoggedRequest } from './log';

export interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  /** Host without the default port: `login.microsoftonline.com`, `vscode.dev` or `127.0.0.1:<port>`. */
  host: string;
  query: URLSearchParams;
  /** Parsed urlencoded body; empty for GET. */
  form: URLSearchParams;
  entry: LoggedRequest;
  /** An error the fault queue put on this request: the endpoint answers with it once the request is addressable. */
  injected?: AadError;
}

export function param(ex: Exchange, name: string): string | undefined {
  return ex.form.get(name) ?? ex.query.get(name) ?? undefined;
}

export function sendJson(ex: Exchange, status: number, body: unknown): void {
  ex.res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache'
  });
  ex.res.end(JSON.stringify(body));
}

export function sendAadError(ex: Exchange, err: AadError): void {
  ex.entry.aadsts = err.code;
  sendJson(ex, err.status, errorBody(err, ex.req.headers['client-request-id'] as string | undefined));
}

export function sendHtml(ex: Exchange, status: number, html: string): void {
  ex.res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  ex.res.end(html);
}

export function sendText(ex: Exchange, status: number, text: string): void {
  ex.res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  ex.res.end(text);
}

export function redirect(ex: Exchange, location: string): void {
  ex.res.writeHead(302, { location, 'cache-control': 'no-store' });
  ex.res.end();
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page Entra shows when it cannot send the user back (unknown client, bad redirect URI, tenant). */
export function errorPage(ex: Exchange, err: AadError): void {
  ex.entry.aadsts = err.code;
  sendHtml(ex, 400, `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>
<h1>Sign in</h1><p>Sorry, but we're having trouble signing you in.</p>
<p id="error">AADSTS${err.code}: ${escapeHtml(err.message)}</p></body></html>`);
}
