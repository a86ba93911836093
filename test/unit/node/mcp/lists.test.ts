import assert from 'node:assert/strict';
import { ProtocolError } from '../../../../src/common/errors';
import { recordingLogger } from '../../../support/logger';
import { startListServer } from '../../../support/listServer';
import { FixedToken, testSession } from '../../../support/session';

describe('tool lists: explicit bounds, not silent ones', function () {
  this.timeout(60_000);
  const session = (url: string, extra: Parameters<typeof testSession>[0] extends infer O ? Partial<O> : never = {}) =>
    testSession({ serverUrl: url, tokens: new FixedToken('t'), scope: 'api://srv/mcp:tools', logger: recordingLogger(), ...extra });

  it('lists every page: 10,000 tools in pages of 50', async () => {
    const server = await startListServer({ tools: 10_000, pageSize: 50 });
    try {
      const s = session(server.url);
      const tools = await s.listTools();
      assert.equal(tools.length, 10_000);
      assert.equal(tools.at(-1)?.name, 'tool_9999');
      await s.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a list past maxTools with an error that names the count and the setting', async () => {
    const server = await startListServer({ tools: 300, pageSize: 50 });
    try {
      const s = session(server.url, { maxTools: 120 });
      await assert.rejects(s.listTools(), (e: unknown) => e instanceof ProtocolError && /more than 120 tools/.test(e.message) && /secureMcp\.limits\.maxTools/.test(e.message));
      await s.close();
    } finally {
      await server.close();
    }
  });

  it('caps a tool list by its own byte limit, not the tool-result limit', async () => {
    // 2,000 tools of about 700 bytes each: 1.4 MB in one unpaginated answer.
    const server = await startListServer({ tools: 2_000, descriptionChars: 600 });
    try {
      const s = session(server.url, { maxResultBytes: 1_048_576 });
      assert.equal((await s.listTools()).length, 2_000);
      await s.close();
      const small = session(server.url, { maxListBytes: 512 * 1024 });
      await assert.rejects(small.listTools(), (e: unknown) => e instanceof ProtocolError && /secureMcp\.limits\.maxListBytes/.test(e.message));
      await small.close();
    } finally {
      await server.close();
    }
  });

  it('does not ask a server without the tools capability for tools, and says so on a call', async () => {
    const server = await startListServer({ tools: 0, toolsCapability: false });
    try {
      const s = session(server.url);
      assert.deepEqual(await s.listTools(), []);
      assert.equal(server.requests.get('tools/list'), undefined, 'tools/list was never sent');
      await assert.rejects(s.callTool('anything', {}), (e: unknown) => e instanceof ProtocolError && /offers no tools/.test(e.message));
      assert.equal(server.requests.get('tools/call'), undefined, 'tools/call was never sent');
      await s.close();
    } finally {
      await server.close();
    }
  });
});
