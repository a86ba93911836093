import * as vscode from 'vscode';
import { AuthRequiredError, NotMcpEndpointError, ProtocolError, ServerUnreachableError, systemErrorCode } from '../../common/errors';
import { isNotMcpEndpoint, ownError } from '../../common/fixes';
import type { Settings } from '../../common/settings';
import { probeServer } from '../../node/discovery/probe';
import { isNetworkFailure } from '../../node/mcp/errors';

/**
 * One unauthenticated request to the server, before a sign-in or when there is no session:
 * a network failure is ServerUnreachableError, HTTP 404 is NotMcpEndpointError; any other
 * answer will do.
 */
export async function ensureReachable(s: Settings): Promise<void> {
  const url = new URL(s.serverUrl);
  let status: number;
  try {
    ({ status } = await probeServer((input, init) => fetch(input, init), url, AbortSignal.timeout(s.timeouts.connectSeconds * 1000)));
  } catch (e) {
    if (isNetworkFailure(e) || (e instanceof Error && e.name === 'TimeoutError')) {
      throw new ServerUnreachableError(vscode.l10n.t('Cannot reach the MCP server at {0} ({1}). Check that it is running and the URL is right, then reconnect.', url.href, systemErrorCode(e) ?? (e instanceof Error ? e.message : String(e))), { cause: e });
    }
    throw e;
  }
  if (status === 404) {
    throw new NotMcpEndpointError(vscode.l10n.t('{0} answered an MCP request with HTTP 404: it is not an MCP endpoint. Check secureMcp.serverUrl; it is the endpoint itself, often ending in /mcp.', url.href));
  }
}

/**
 * A connection that failed as unreachable or with a protocol error may have met a URL
 * that is not MCP at all (the transport's fallback hides the 404), and one that failed
 * for want of a sign-in may be aimed at a server that is not there: one unauthenticated
 * probe tells, and the failure becomes what the user must fix first, the server or its URL.
 * `blockedBy` is the organisation's policy, which may have changed while the attempt ran:
 * a blocked server gets no probe either.
 */
export async function explainFailure(e: unknown, s: Settings, blockedBy: (url: string) => Error | undefined): Promise<unknown> {
  const own = ownError(e);
  const signInNeeded = own instanceof AuthRequiredError;
  if (!(own instanceof ServerUnreachableError || own instanceof ProtocolError || signInNeeded) || isNotMcpEndpoint(own) || !s.serverUrl) {
    return e;
  }
  const blocked = blockedBy(s.serverUrl);
  if (blocked) {
    return blocked;
  }
  return ensureReachable(s).then(() => e, (probe: unknown) =>
    probe instanceof NotMcpEndpointError || (signInNeeded && probe instanceof ServerUnreachableError) ? probe : e);
}
