import assert from 'node:assert/strict';
import { buildToolCatalog } from '../../../../src/common/chat/tools';
import { OPENAI_TOOL_NAME_RULES } from '../../../../src/common/llm/types';
import { acceptDefaults } from '../../../support/elicitation';
import { recordingLogger } from '../../../support/logger';
import { startEverything, type Everything } from '../../../support/everything';
import { FixedToken, testSession } from '../../../support/session';

describe('MCP session against @modelcontextprotocol/server-everything', function () {
  this.timeout(60_000);
  let everything: Everything;

  before(async () => { everything = await startEverything(); });
  after(async () => { await everything?.close(); });

  const session = (extra: Partial<Parameters<typeof testSession>[0]> = {}) => {
    const logger = recordingLogger();
    return { logger, s: testSession({ serverUrl: everything.url, tokens: new FixedToken('unused'), scope: 'api://srv/mcp:tools', logger, ...extra }) };
  };

  it('connects (asked, it speaks only 2025-11-25: the published package is built on the v1 SDK), lists the tools and calls one', async () => {
    const { s } = session();
    const tools = await s.listTools();
    assert.equal(s.connection?.protocolVersion, '2025-11-25');
    assert.ok(tools.some(t => t.name === 'echo'), tools.map(t => t.name).join(', '));
    const result = await s.callTool('echo', { message: 'hello' });
    assert.match(JSON.stringify(result.content), /hello/);
    await s.close();
  });

  it('calls every tool it offers this client, with every content type, progress and elicitation', async () => {
    const elicited: string[] = [];
    const { s } = session({
      elicitation: async (request, signal) => {
        elicited.push(request.mode ?? 'form');
        return acceptDefaults(request, signal);
      }
    });
    const tools = await s.listTools();
    const catalog = buildToolCatalog([{ name: 'everything', tools }], { rules: OPENAI_TOOL_NAME_RULES, maxTools: 128, prompt: '' });
    // Arguments a user would give; everything else comes from the schema's defaults.
    const given: Record<string, Record<string, unknown>> = {
      echo: { message: 'hello' },
      'get-sum': { a: 2, b: 3 },
      'trigger-long-running-operation': { duration: 1, steps: 3 },
      'gzip-file-as-resource': { name: 'hello.txt.gz', data: 'data:text/plain;base64,aGVsbG8gd29ybGQ=', outputType: 'resource' },
      'trigger-url-elicitation': { url: 'https://example.com/finish' },
      'get-annotated-message': { messageType: 'success' },
      'get-structured-content': { location: 'Chicago' }
    };
    const contentTypes = new Set<string>();
    const progress: number[] = [];
    const called: string[] = [];
    for (const { tool } of catalog.entries) {
      const result = await s.callTool(tool.name, given[tool.name] ?? {}, { onProgress: p => progress.push(p.progress) });
      assert.notEqual(result.isError, true, `${tool.name}: ${JSON.stringify(result.content).slice(0, 300)}`);
      for (const c of result.content) {
        contentTypes.add(c.type);
      }
      called.push(tool.name);
    }
    assert.ok(called.length >= 12, `called ${called.join(', ')}`);
    for (const type of ['text', 'image', 'resource', 'resource_link']) {
      assert.ok(contentTypes.has(type), `a ${type} result was seen (${[...contentTypes].join(', ')})`);
    }
    assert.ok(progress.length >= 2, `progress was reported (${progress.join(', ')})`);
    assert.ok(elicited.includes('form') && elicited.includes('url'), `form and URL elicitation were answered (${elicited.join(', ')})`);
    await s.close();
  });

  it('keeps its task-only tool out of what the model is offered', async () => {
    const { s } = session();
    const tools = await s.listTools();
    const research = tools.find(t => (t as { execution?: { taskSupport?: string } }).execution?.taskSupport === 'required');
    assert.ok(research, 'server-everything lists a tool that requires task execution, so the check below means something');
    const catalog = buildToolCatalog([{ name: 'everything', tools }], { rules: OPENAI_TOOL_NAME_RULES, maxTools: 128, prompt: '' });
    assert.ok(!catalog.entries.some(e => e.tool.name === research.name), `${research.name} is not offered`);
    assert.ok(catalog.entries.some(e => e.tool.name === 'echo'));
    await s.close();
  });

  it('-32042 from its URL-elicitation tool: the page is shown, and the call made again succeeds without a completion notice', async () => {
    const shown: unknown[] = [];
    const { s, logger } = session({
      callTimeoutMs: 300,
      elicitation: async request => {
        shown.push(request);
        return { action: 'accept' };
      }
    });
    const result = await s.callTool('trigger-url-elicitation', { url: 'https://example.com/finish', errorPath: true });
    assert.equal(result.isError ?? false, false, JSON.stringify(result.content));
    // First the prerequisite the -32042 error carries, then (on the call made again) the tool's own page.
    assert.equal(shown.length, 2, JSON.stringify(shown));
    assert.match(JSON.stringify(shown[0]), /"mode":"url"/);
    assert.match(JSON.stringify(shown[1]), /https:\/\/example\.com\/finish/);
    assert.ok(logger.lines.some(l => /calling again/.test(l)), 'server-everything sends no completion notice, so the wait ended on the timeout');
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
