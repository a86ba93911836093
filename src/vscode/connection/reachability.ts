import * as vscode from 'vscode';
import { NotMcpEndpointError, ServerUnreachableError, systemErrorCode } from '../../common/errors';
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
