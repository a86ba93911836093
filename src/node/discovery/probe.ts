import { bearerChallenge, type BearerChallenge } from '../../common/auth/challenge';
import type { FetchLike } from '../auth/authFetch';

/**
 * One unauthenticated `initialize`, only to read how the server answers it: a 401 and
 * its challenge (resource_metadata, scope) say where to sign in. The body is never read.
 */
export async function probeServer(fetch: FetchLike, serverUrl: URL, signal?: AbortSignal): Promise<{ status: number; challenge?: BearerChallenge }> {
  const response = await fetch(serverUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'secure-mcp-probe', version: '0' } } }),
    ...(signal ? { signal } : {})
  });
  await response.body?.cancel().catch(() => undefined);
  const challenge = bearerChallenge(response.headers.get('www-authenticate'));
  return { status: response.status, ...(challenge ? { challenge } : {}) };
}
