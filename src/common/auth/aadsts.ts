/**
 * Entra sign-in errors (AADSTS codes, docs/entra.md#sign-in-errors) and what fixes each, shared by Diagnose
 * and the sign-in command.
 */
import { AuthRequiredError, CancelledError } from '../errors';
import { mask } from '../log';

export const VSCODE_CLIENT_ID = 'aebc6443-996d-45c2-90f0-388ff96faa56';

export interface AadstsExplanation {
  readonly meaning: string;
  readonly fix: string;
}

const AADSTS: Record<string, AadstsExplanation> = {
  AADSTS50011: { meaning: 'The redirect URI is not registered for the client application.', fix: 'Add http://localhost (mobile and desktop) and https://vscode.dev/redirect to the client app registration, or clear secureMcp.auth.clientId to use VS Code\'s client.' },
  AADSTS65001: { meaning: 'The user or an administrator has not consented to the client using the API.', fix: `Pre-authorize the client (${VSCODE_CLIENT_ID} for VS Code's) under the API registration's Expose an API > Authorized client applications, or have an administrator grant consent.` },
  AADSTS65002: { meaning: 'First-party client consent must be configured by the API: VS Code\'s client is not pre-authorized.', fix: `Add ${VSCODE_CLIENT_ID} under the API registration's Expose an API > Authorized client applications for the mcp:tools scope, or use your own client id (secureMcp.auth.clientId).` },
  AADSTS70011: { meaning: 'The requested scope is invalid.', fix: 'Use the full scope of the API, for example api://<server-app-id>/mcp:tools, and do not mix .default with named scopes.' },
  AADSTS90009: { meaning: 'The application is requesting a token for itself.', fix: 'When one registration is both client and API, request the scope in its GUID form: <client-id>/mcp:tools.' },
  AADSTS9010010: { meaning: 'The resource parameter was sent together with v2 scopes.', fix: 'Remove the resource parameter; Secure MCP never sends it to Entra, so check any proxy or custom provider in between.' },
  AADSTS500011: { meaning: 'The API (resource principal) was not found in the tenant.', fix: 'Check the Application ID URI in the scope, and that the API is registered (or has a service principal) in the tenant you sign in to (secureMcp.auth.tenant).' },
  AADSTS700016: { meaning: 'The client application was not found in the tenant.', fix: 'Check secureMcp.auth.clientId and secureMcp.auth.tenant; a single-tenant app must be used in its own tenant.' }
};

/** The AADSTS codes in an error text, explained. */
export function explainAadsts(text: string): (AadstsExplanation & { readonly code: string })[] {
  const codes = [...new Set(text.match(/AADSTS\d+/g) ?? [])];
  return codes.map(code => ({ code, ...(AADSTS[code] ?? { meaning: 'An Entra sign-in error.', fix: `Look up ${code} in the Entra error reference.` }) }));
}

/**
 * A failed interactive or silent `getSession`, as a message that says what to do: the
 * AADSTS explanation when the provider reported one, "cancelled by you" when the user said no,
 * "not available" when the provider is missing (VS Code for the Web without Microsoft
 * accounts), else the provider's own words, masked.
 */
export function signInFailure(providerId: string, error: unknown): AuthRequiredError | CancelledError {
  const text = mask(error instanceof Error ? error.message : String(error));
  const explained = explainAadsts(text);
  if (explained.length) {
    return new AuthRequiredError(explained.map(e => `Sign-in failed with ${e.code}: ${e.meaning} Fix: ${e.fix}`).join(' '));
  }
  if (/did not consent|cancel+ed|user (aborted|declined)/i.test(text)) {
    return new CancelledError('Sign-in was cancelled by you.');
  }
  if (/no authentication provider|not (currently )?registered|timed out waiting for authentication provider/i.test(text)) {
    return new AuthRequiredError(`The sign-in provider "${providerId}" is not available in this VS Code. Use desktop VS Code for Microsoft accounts, or set secureMcp.auth.providerId to secure-mcp-oauth for a server that supports any OAuth 2.1 client.`);
  }
  return new AuthRequiredError(`Sign-in with "${providerId}" failed: ${text.slice(0, 500)}`);
}
