/**
 * Entra's error answers: the OAuth `error`, the `AADSTSnnnn: ...` description with its
 * Trace ID / Correlation ID / Timestamp tail, `error_codes`, and `suberror` where MSAL keys on it.
 */
import * as crypto from 'node:crypto';

export interface AadError {
  /** HTTP status of a JSON answer (token, devicecode). Entra uses 400 for all of these, 401 for bad client auth. */
  status: number;
  error: string;
  code: number;
  /** The message after `AADSTSnnnn: `. */
  message: string;
  suberror?: string;
}

/** `AADSTS700082` or `700082`; what fault-queue entries and tests name an error by. */
export type AadstsCode = `AADSTS${number}` | number;

type Args = Record<string, string>;
const a = (args: Args, name: string) => args[name] ?? `<${name}>`;

/** The errors the emulator gives, by code. Messages follow Entra's wording (shortened where it runs on). */
const CATALOG: Record<number, (args: Args) => Omit<AadError, 'code'>> = {
  9010010: () => ({ status: 400, error: 'invalid_target', message: "The resource parameter provided in the request doesn't match with the requested scopes." }),
  65001: (x) => ({ status: 400, error: 'invalid_grant', suberror: 'consent_required', message: `The user or administrator has not consented to use the application with ID '${a(x, 'clientId')}' named '${a(x, 'clientName')}'. Send an interactive authorization request for this user and resource.` }),
  90009: (x) => ({ status: 400, error: 'invalid_request', message: `Application '${a(x, 'clientId')}'(${a(x, 'clientName')}) is requesting a token for itself. This scenario is supported only if resource is specified using the GUID based App Identifier.` }),
  70011: (x) => ({ status: 400, error: 'invalid_scope', message: `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${a(x, 'scope')} is not valid.${x.reason ? ` ${x.reason}` : ''}` }),
  28000: (x) => ({ status: 400, error: 'invalid_scope', message: `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${a(x, 'scope')} is not valid.` }),
  500011: (x) => ({ status: 400, error: 'invalid_resource', message: `The resource principal named ${a(x, 'resource')} was not found in the tenant named ${a(x, 'tenantName')}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.` }),
  650053: (x) => ({ status: 400, error: 'invalid_client', message: `The application '${a(x, 'clientName')}' asked for scope '${a(x, 'scope')}' that doesn't exist on the resource '${a(x, 'resource')}'. Contact the app vendor.` }),
  700016: (x) => ({ status: 400, error: 'unauthorized_client', message: `Application with identifier '${a(x, 'clientId')}' was not found in the directory '${a(x, 'tenantName')}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.` }),
  700082: (x) => ({ status: 400, error: 'invalid_grant', suberror: 'bad_token', message: `The refresh token has expired due to inactivity. The token was issued on ${a(x, 'issuedAt')} and was inactive for ${a(x, 'inactive')}.` }),
  70008: () => ({ status: 400, error: 'invalid_grant', suberror: 'bad_token', message: 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.' }),
  50076: (x) => ({ status: 400, error: 'invalid_grant', suberror: 'basic_action', message: `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${a(x, 'resource')}'.` }),
  50079: () => ({ status: 400, error: 'invalid_grant', suberror: 'basic_action', message: 'Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access the resource.' }),
  50173: () => ({ status: 400, error: 'invalid_grant', suberror: 'bad_token', message: 'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.' }),
  50011: (x) => ({ status: 400, error: 'invalid_request', message: `The redirect URI '${a(x, 'redirectUri')}' specified in the request does not match the redirect URIs configured for the application '${a(x, 'clientId')}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.` }),
  500112: (x) => ({ status: 400, error: 'invalid_grant', message: `The reply address '${a(x, 'redirectUri')}' does not match the reply address '${a(x, 'expected')}' provided when requesting Authorization code.` }),
  501481: () => ({ status: 400, error: 'invalid_grant', message: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.' }),
  9002325: () => ({ status: 400, error: 'invalid_request', message: 'Proof Key for Code Exchange is required for cross-origin authorization code redemption.' }),
  50148: () => ({ status: 400, error: 'invalid_request', message: "The code_challenge_method 'plain' is not supported here; use 'S256'." }),
  54005: () => ({ status: 400, error: 'invalid_grant', message: 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.' }),
  9002313: () => ({ status: 400, error: 'invalid_grant', message: 'Invalid request. Request is malformed or invalid.' }),
  90002: (x) => ({ status: 400, error: 'invalid_request', message: `Tenant '${a(x, 'tenant')}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.` }),
  900144: (x) => ({ status: 400, error: 'invalid_request', message: `The request body must contain the following parameter: '${a(x, 'parameter')}'.` }),
  90014: (x) => ({ status: 400, error: 'invalid_request', message: `The required field '${a(x, 'parameter')}' is missing from the credential. Ensure that you have all the necessary parameters for the login request.` }),
  70003: (x) => ({ status: 400, error: 'unsupported_grant_type', message: `The app requested an unsupported grant type '${a(x, 'grantType')}'.` }),
  700025: () => ({ status: 401, error: 'invalid_client', message: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented." }),
  7000215: () => ({ status: 401, error: 'invalid_client', message: 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.' }),
  70016: () => ({ status: 400, error: 'authorization_pending', message: 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.' }),
  70020: () => ({ status: 400, error: 'expired_token', message: 'The provided value for the input parameter \'device_code\' is not valid. This device code has expired.' }),
  70000: () => ({ status: 400, error: 'invalid_grant', message: 'The request was denied because one or more grants are invalid, expired or revoked.' }),
  50126: () => ({ status: 400, error: 'invalid_grant', message: 'Error validating credentials due to invalid username or password.' }),
  65004: () => ({ status: 400, error: 'access_denied', message: 'User declined to consent to access the app.' }),
  50058: () => ({ status: 400, error: 'interaction_required', message: 'A silent sign-in request was sent but no user is signed in.' }),
  70019: () => ({ status: 400, error: 'authorization_declined', message: 'The end user denied the authorization request.' }),
  1002012: (x) => ({ status: 400, error: 'invalid_scope', message: `The provided value for scope ${a(x, 'scope')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).` }),
  7000218: () => ({ status: 401, error: 'invalid_client', message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." }),
  900561: () => ({ status: 400, error: 'invalid_request', message: 'The endpoint only accepts POST requests. Received a GET request.' }),
  700054: (x) => ({ status: 400, error: 'unsupported_response_type', message: `response_type '${a(x, 'responseType')}' is not enabled for the application.` })
};

export function codeNumber(code: AadstsCode): number {
  const n = typeof code === 'number' ? code : Number(code.replace(/^AADSTS/, ''));
  if (!Number.isInteger(n) || !CATALOG[n]) {
    throw new Error(`the Entra emulator has no AADSTS${String(n)} answer (known: ${Object.keys(CATALOG).join(', ')})`);
  }
  return n;
}

/** The error Entra gives for `code`; `error` overrides the OAuth error where an endpoint answers differently (e.g. `consent_required` on /authorize). */
export function aadError(code: AadstsCode, args: Args = {}, error?: string): AadError {
  const n = codeNumber(code);
  const known = CATALOG[n]!(args);
  return { code: n, ...known, ...(error ? { error } : {}) };
}

/** `2024-05-06 07:08:09Z`, Entra's timestamp format. */
function entraTimestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** The JSON body Entra sends with an error from /token or /devicecode. */
export interface AadErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
  claims?: string;
}

export function errorBody(err: AadError, correlationId?: string): AadErrorBody {
  const timestamp = entraTimestamp();
  const traceId = crypto.randomUUID();
  const correlation = correlationId && /^[0-9a-f-]{36}$/i.test(correlationId) ? correlationId : crypto.randomUUID();
  return {
    error: err.error,
    error_description: `AADSTS${err.code}: ${err.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${err.code}`,
    ...(err.suberror ? { suberror: err.suberror } : {})
  };
}

/** Thrown inside a handler to answer with an Entra error. */
export class AadFailure extends Error {
  constructor(readonly aad: AadError) {
    super(`AADSTS${aad.code}: ${aad.message}`);
  }
}

export const fail = (code: AadstsCode, args: Args = {}): never => {
  throw new AadFailure(aadError(code, args));
};
