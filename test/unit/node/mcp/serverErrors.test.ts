import assert from 'node:assert/strict';
import { ProtocolError, ServerUnreachableError } from '../../../../src/common/errors';
import { startListServer } from '../../../support/listServer';
import { recordingLogger } from '../../../support/logger';
import { FixedToken, testSession } from '../../../support/session';

describe('JSON-RPC errors the server sends with the codes the SDK uses for its own failures', function () {
  this.timeout(30_000);
  for (const [code, wrongly] of [[-32000, 'Cannot reach'], [-32001, 'did not answer in time']] as const) {
    it(`${code} from the server is the server's error, not "${wrongly}"`, async () => {
      const server = await startListServer({ tools: 1, callError: { code, message: 'upstream database is read-only' } });
      try {
        const s = testSession({ serverUrl: server.url, tokens: new FixedToken('t'), scope: 'api://srv/mcp:tools', logger: recordingLogger() });
        await assert.rejects(s.callTool('tool_0', {}), (e: unknown) => e instanceof ProtocolError && !(e instanceof ServerUnreachableError)
          && e.message.includes(String(code)) && e.message.includes('upstream database is read-only') && !e.message.includes(wrongly));
        await s.close();
      } finally {
        await server.close();
      }
    });
  }
});
