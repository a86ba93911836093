/**
 * Every request the emulator (and its redirect stand-in) received, with secrets masked, so a
 * test can prove what a client sent, e.g. that no `resource` parameter ever reached Entra.
 */

/** Parameters whose values are credentials: recorded as `***`, their presence still visible. */
export const SECRET_PARAMS = new Set([
  'code', 'code_verifier', 'refresh_token', 'client_secret', 'client_assertion', 'device_code',
  'access_token', 'id_token', 'assertion', 'password'
]);

export interface LoggedRequest {
  at: Date;
  /** Host the request was addressed to: `login.microsoftonline.com`, `vscode.dev`, or `127.0.0.1:<port>`. */
  host: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Which endpoint answered (`authorize`, `token`, `keys`, ..., `unknown`). */
  endpoint: string;
  query: Record<string, string>;
  /** The urlencoded body (POST). */
  form: Record<string, string>;
  /** `client-request-id` MSAL sends, if any. */
  clientRequestId?: string;
  /** Filled in when the answer is sent; absent while pending or for a request held by a `hang` fault. */
  status?: number;
  /** AADSTS code of an error answer. */
  aadsts?: number;
  /** `grant_type` of a token request, for quick filtering. */
  grantType?: string;
}

export function maskParams(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of params) {
    const masked = SECRET_PARAMS.has(name) ? '***' : value;
    out[name] = name in out ? `${out[name]},${masked}` : masked;
  }
  return out;
}

export class RequestLog {
  readonly entries: LoggedRequest[] = [];

  add(entry: LoggedRequest): LoggedRequest {
    this.entries.push(entry);
    return entry;
  }

  /** Entries answered by `endpoint` (e.g. `token`), optionally of one grant type. */
  of(endpoint: string, grantType?: string): LoggedRequest[] {
    return this.entries.filter((e) => e.endpoint === endpoint && (grantType === undefined || e.grantType === grantType));
  }

  /** Every request that carried `param` in its query or form. */
  withParam(param: string): LoggedRequest[] {
    return this.entries.filter((e) => param in e.query || param in e.form);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
