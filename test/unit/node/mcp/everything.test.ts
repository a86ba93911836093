import assert from 'node:assert/strict';
import { recordingLogger } from '../../../support/logger';
import { startEverything, type Everything } from '../../../support/everything';
import { FixedToken, testSession } from '../../../support/session';

describe('MCP session against @modelcontextprotocol/server-everything', function () {
  this.timeout(60_000);
  let everything: Everything;

  before(async () => { everything = await startEverything(); });
  after(async () => { await everything?.close(); });

  const session = () => {
    const logger = recordingLogger();
    return { logger, s: testSession({ serverUrl: everything.url, tokens: new FixedToken('unused'), scope: 'api://srv/mcp:tools', logger }) };
  };

  it('connects, lists the tools and calls one', async () => {
    const { s } = session();
    const tools = await s.listTools();
    assert.ok(tools.some(t => t.name === 'echo'), tools.map(t => t.name).join(', '));
    const result = await s.callTool('echo', { message: 'hello' });
    assert.match(JSON.stringify(result.content), /hello/);
    await s.close();
  });

  it('re-initializes once when a restarted server answers the stale session with 400, not 404', async () => {
    const { s, logger } = session();
    await s.listTools();
    await everything.restart();
    const result = await s.callTool('echo', { message: 'after the restart' });
    assert.match(JSON.stringify(result.content), /after the restart/);
    assert.ok(logger.lines.some(l => /no longer knows this session/.test(l)), 'the session was re-initialized');
    await s.close();
  });
});
