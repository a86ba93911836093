import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessToken, TokenRequest, TokenSource } from '../../../../src/common/auth/tokenSource';
import { IdentityProviderError, ServerUnreachableError } from '../../../../src/common/errors';
import { startIdp, startSecureMcpServer, type Idp, type SecureMcpServer } from '../../../world';
import { silentLogger } from '../../../support/logger';
import { testSession } from '../../../support/session';

/** A token source whose identity provider is down: every request is a real fetch to a port nobody listens on. */
class UnreachableIdp implements TokenSource {
  readonly requests: TokenRequest[] = [];
  constructor(private readonly tokenEndpoint: string) {}
  async getToken(request: TokenRequest): Promise<AccessToken | undefined> {
    this.requests.push(request);
    await fetch(this.tokenEndpoint, { method: 'POST', ...(request.signal ? { signal: request.signal } : {}) });
    return undefined;
  }
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>(r => s.close(() => r()));
  return port;
}

describe('MCP session while the identity provider is down (F8)', function () {
  this.timeout(30_000);
  let idp: Idp;
  let server: SecureMcpServer;
  before(async () => {
    idp = await startIdp();
    server = await startSecureMcpServer({ issuer: idp.issuer, audience: idp.apiClientId, requiredScope: idp.scope, tenantId: idp.tenantId });
  });
  after(async () => { await server.close(); await idp.close(); });

  it('a refused connection to the identity provider fails the session naming the identity provider, once, never as the MCP server unreachable', async () => {
    const tokens = new UnreachableIdp(`http://127.0.0.1:${await closedPort()}/token`);
    const s = testSession({ serverUrl: server.url, tokens, scope: idp.fullScope, logger: silentLogger, reconnect: { attempts: 3, initialDelayMs: 10, maxDelayMs: 20 } });
    try {
      await assert.rejects(s.listTools(), (e: unknown) => {
        assert.ok(!(e instanceof ServerUnreachableError), `read as the server unreachable: ${String(e)}`);
        assert.ok(e instanceof IdentityProviderError, String(e));
        assert.match(e.message, /identity provider/i);
        return true;
      });
      assert.equal(tokens.requests.length, 1, 'the identity provider is asked once, not once per reconnect attempt');
    } finally {
      await s.close();
    }
  });
});
