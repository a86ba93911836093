import assert from 'node:assert/strict';
import type { ToolServer } from '../../../../src/common/chat/toolCalls';
import { runToolLoop, type ToolLoopEvent } from '../../../../src/common/chat/toolLoop';
import type { ChatModel } from '../../../../src/common/llm/types';
import { createOpenAiChatModel } from '../../../../src/node/llm/openai';
import { AuditLog, type AuditFiles } from '../../../../src/node/audit/audit';
import type { McpSession } from '../../../../src/node/mcp/session';
import { startScriptedLlm, steps, type ScriptedLlm } from '../../../world';
import { TestGate } from '../../../support/chatWorld';
import { AFTER, BEFORE, startEchoServer, type EchoTool } from '../../../support/echoServer';
import { recordingLogger } from '../../../support/logger';
import { FixedToken, testConnection } from '../../../support/session';

// JWT-shaped, as Entra issues them: the patterns alone recognise it.
const JWT_CANARY = [
  Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'canary' })).toString('base64url'),
  Buffer.from(JSON.stringify({ aud: 'api://srv', scp: 'mcp:tools', canary: 'CANARY-5c1e0d' })).toString('base64url'),
  'c2lnbmF0dXJlLWNhbmFyeS01YzFlMGQ'
].join('.');
// Opaque (generic OAuth): no pattern matches it, only the exact token the auth fetch sent.
const OPAQUE_CANARY = 'opq5c1e0dCANARYa7b3f9e2d4c6a8b0e1f3d5c7a9b2e4d6f8';

class MemoryFiles implements AuditFiles {
  private readonly files = new Map<string, string>();
  async append(name: string, text: string) { this.files.set(name, (this.files.get(name) ?? '') + text); }
  async size(name: string) { const t = this.files.get(name); return t === undefined ? undefined : Buffer.byteLength(t); }
  async read(name: string) { return this.files.get(name); }
  async rename(from: string, to: string) { this.files.set(to, this.files.get(from) ?? ''); this.files.delete(from); }
  async remove(name: string) { this.files.delete(name); }
  all(): string { return [...this.files.values()].join(''); }
}

describe('a server echoing the bearer token into what a chat turn passes on (docs/security.md A2)', function () {
  this.timeout(20_000);
  let llm: ScriptedLlm;
  let echo: Awaited<ReturnType<typeof startEchoServer>>;
  let describing: Awaited<ReturnType<typeof startEchoServer>>;

  before(async () => {
    [llm, echo, describing] = await Promise.all([startScriptedLlm(), startEchoServer(), startEchoServer({ inDescriptions: true })]);
  });
  after(async () => {
    await Promise.all([llm.close(), echo.close(), describing.close()]);
  });

  const cases: readonly { readonly what: string; readonly tool: EchoTool; readonly outcome: string }[] = [
    { what: '(a) a successful text and resource result', tool: 'echo_text', outcome: 'ok' },
    { what: '(b) structured content', tool: 'echo_structured', outcome: 'ok' },
    { what: '(c) a progress message', tool: 'echo_progress', outcome: 'ok' },
    { what: '(d) a tool error (isError)', tool: 'echo_error', outcome: 'error' },
    { what: '(d) a JSON-RPC error', tool: 'echo_throw', outcome: 'error' }
  ];

  for (const [label, token] of [['JWT', JWT_CANARY], ['opaque', OPAQUE_CANARY]] as const) {
    describe(`the ${label} token`, () => {
      const logger = recordingLogger();
      const sessions: McpSession[] = [];
      let model: ChatModel;

      before(() => {
        model = createOpenAiChatModel({ apiKey: 'sk-test-key-123456789', model: 'gpt-4.1', baseUrl: llm.baseUrl, logger });
      });
      after(() => Promise.all(sessions.splice(0).map(s => s.close())));
      beforeEach(() => {
        llm.reset();
        logger.lines.length = 0;
      });

      /** The server as the chat participant hands it to the turn: the session, and the redactor of its auth fetch. */
      function serverAt(url: string): ToolServer {
        const { session, redact } = testConnection({ serverUrl: url, tokens: new FixedToken(token), scope: 'api://srv/mcp:tools', logger });
        sessions.push(session);
        return { name: 'echo', session, redact, context: { serverUrl: url, serverLabel: 'echo server' } };
      }

      /** One turn that calls `tool`, with the audit trail the product keeps; every sink the turn's text can reach. */
      async function turn(server: ToolServer, tool: EchoTool) {
        const files = new MemoryFiles();
        const audit = new AuditLog({ files, logger });
        const gate = new TestGate(new Set(), async call => {
          audit.decided(call, { kind: 'approved', how: 'once' }, 'definition-hash');
          return undefined;
        });
        const events: ToolLoopEvent[] = [];
        const completions: Promise<void>[] = [];
        llm.enqueue(steps.toolCalls({ name: `echo__${tool}`, arguments: {} }), steps.text('done'));
        const result = await runToolLoop({
          model, gate, logger, prompt: `call ${tool}`, servers: [server],
          onEvent: e => {
            events.push(e);
            if (e.type === 'toolCallFinished') {
              completions.push(audit.completed(e.call.id, { outcome: e.call.outcome === 'ok' ? 'ok' : 'error', resultBytes: e.call.resultChars }));
            }
          }
        });
        await Promise.all(completions);
        assert.equal(result.stop, 'done', String(result.error));
        assert.ok(files.all().includes('"outcome"'), 'the call was audited');
        const sinks: Record<string, string> = {
          'an LLM request': JSON.stringify(llm.requests),
          'a chat event': JSON.stringify(events),
          'the turn result': JSON.stringify(result),
          'a log line': logger.lines.join('\n'),
          'the audit record': files.all(),
          'the approval': JSON.stringify(gate.seen)
        };
        for (const [sink, text] of Object.entries(sinks)) {
          const at = text.indexOf(token);
          assert.ok(at < 0, `the token reached ${sink}: …${text.slice(Math.max(0, at - 200), at + 100)}…`);
        }
        return { result, events, gate };
      }

      const said = new RegExp(`${BEFORE} \\S+ ${AFTER}`);

      for (const c of cases) {
        it(`${c.what}: the token is in no LLM request, chat event, log line, approval or audit record; the text around it is`, async () => {
          const { result, events } = await turn(serverAt(echo.url), c.tool);
          assert.equal(result.toolCalls[0]?.outcome, c.outcome);
          if (c.tool === 'echo_progress') {
            const progress = events.find(e => e.type === 'toolCallProgress');
            assert.match(progress?.type === 'toolCallProgress' ? progress.message ?? '' : '', said, 'the progress message still reaches the chat');
          } else {
            const fed = llm.requests[1]!.messages.filter(m => m.role === 'tool').map(m => String(m.content)).join('\n');
            assert.match(fed, said, 'the result still reaches the model');
          }
        });
      }

      it('(e) tool descriptions: the model and the approval see them without the token', async () => {
        const { gate } = await turn(serverAt(describing.url), 'echo_text');
        const offered = llm.requests[0]!.tools.find(t => t.function.name === 'echo__echo_text');
        assert.match(offered?.function.description ?? '', said, 'the description still reaches the model');
        assert.match(gate.seen[0]?.tool.description ?? '', said, 'and the approval');
        assert.equal(gate.seen[0]?.tool.name, 'echo_text', 'the name is the one the server listed');
      });
    });
  }
});
