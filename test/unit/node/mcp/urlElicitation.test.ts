import assert from 'node:assert/strict';
import { DeclinedByUserError, ProtocolError } from '../../../../src/common/errors';
import type { ElicitationHandler } from '../../../../src/node/mcp/elicitation';
import { recordingLogger } from '../../../support/logger';
import { FixedToken, testSession } from '../../../support/session';
import { startUrlElicitationServer } from '../../../support/urlElicitationServer';

describe('URL elicitation required (-32042)', function () {
  this.timeout(30_000);
  let server: Awaited<ReturnType<typeof startUrlElicitationServer>>;
  beforeEach(async () => { server = await startUrlElicitationServer(); });
  afterEach(async () => { await server.close(); });

  const session = (elicitation?: ElicitationHandler, callTimeoutMs = 5000) => testSession({
    serverUrl: server.url, tokens: new FixedToken('t'), scope: 'api://srv/mcp:tools', logger: recordingLogger(), callTimeoutMs,
    ...(elicitation ? { elicitation } : {})
  });

  it('shows the URL, waits for the server to confirm the step, then calls again and succeeds', async () => {
    const shown: unknown[] = [];
    const s = session(async request => {
      shown.push(request);
      // The user opens the page and finishes there; the server then says so.
      setTimeout(() => void server.complete(server.asked.at(-1)!), 50);
      return { action: 'accept' };
    });
    const result = await s.callTool('pay', {});
    assert.deepEqual(result.content, [{ type: 'text', text: 'paid' }]);
    assert.equal(shown.length, 1);
    assert.match(JSON.stringify(shown[0]), /"mode":"url".*pay\.example\.com/);
    assert.equal(server.runs(), 2, 'the tool ran again only after the step was completed');
    await s.close();
  });

  it('a step not finished: the one further call fails with an error that says to finish it, and there is no loop', async () => {
    const s = session(async () => ({ action: 'accept' }), 200);
    await assert.rejects(s.callTool('pay', {}), (e: unknown) => e instanceof ProtocolError && /still needs the step in the browser/.test(e.message));
    assert.equal(server.runs(), 2);
    await s.close();
  });

  it('a declined step fails the call as declined, without calling again', async () => {
    const s = session(async () => ({ action: 'decline' }));
    await assert.rejects(s.callTool('pay', {}), (e: unknown) => e instanceof DeclinedByUserError);
    assert.equal(server.runs(), 1);
    await s.close();
  });

  it('without a way to show the URL, URL elicitation is not declared, and the server answers with a tool error', async () => {
    const s = session();
    const result = await s.callTool('pay', {});
    assert.equal(result.isError, true);
    assert.equal(server.runs(), 1);
    await s.close();
  });
});
