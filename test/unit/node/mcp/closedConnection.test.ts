import assert from 'node:assert/strict';
import { CancelledError, ServerUnreachableError } from '../../../../src/common/errors';
import { startIdp, startSecureMcpServer, type Idp, type SecureMcpServer } from '../../../world';
import { recordingLogger } from '../../../support/logger';
import { IdpTokens, testSession } from '../../../support/session';

/** docs/security.md F9: a dead connection and a user's cancel are told apart from a slow server, at once. */
describe('a call whose connection dies, or that the user stops (F9)', function () {
  this.timeout(30_000);
  let idp: Idp;
  let server: SecureMcpServer;

  before(async () => { idp = await startIdp(); });
  after(async () => { await idp.close(); });
  beforeEach(async () => { server = await startSecureMcpServer({ issuer: idp.issuer, audience: idp.apiClientId, requiredScope: idp.scope, tenantId: idp.tenantId, slowTaskTickMs: 50 }); });
  afterEach(async () => { await server.close(); });

  const session = (protocol?: '2026-07-28' | '2025-11-25') => testSession({
    serverUrl: server.url, tokens: new IdpTokens(idp), scope: idp.fullScope, logger: recordingLogger(),
    // Long enough that waiting for them would fail the test.
    callTimeoutMs: 20_000, callMaxTimeoutMs: 25_000, reconnect: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 },
    ...(protocol ? { protocol } : {})
  });

  // 2026-07-28 has no stream resumption, so the end of the stream is the end of the call; on
  // 2025-11-25 the SDK first tries to resume it (three attempts, about 5 s), in case the server is back.
  for (const [protocol, withinMs] of [['2026-07-28', 1000], ['2025-11-25', 8000]] as const) {
    it(`${protocol}: fails within ${withinMs} ms of the server closing the socket mid-call, as unreachable`, async () => {
      const s = session(protocol);
      let killed = 0;
      const call = s.callTool('slow_task', { seconds: 200 }, {
        onProgress: () => {
          if (!killed) {
            killed = Date.now();
            void server.close();
          }
        }
      });
      await assert.rejects(call, (e: unknown) => e instanceof ServerUnreachableError && /closed before it answered slow_task/.test(e.message));
      const waited = Date.now() - killed;
      assert.ok(killed > 0, 'the call reported progress before the server went away');
      assert.ok(waited < withinMs, `the call failed ${waited} ms after the socket closed`);
      await s.close();
    });
  }

  it('reports a call the user stopped as cancelled by the user, not as a server fault', async () => {
    const s = session();
    const stop = new AbortController();
    const call = s.callTool('slow_task', { seconds: 200 }, { signal: stop.signal, onProgress: () => stop.abort() });
    await assert.rejects(call, (e: unknown) => e instanceof CancelledError && /cancelled by you/.test(e.message));
    await s.close();
  });
});
