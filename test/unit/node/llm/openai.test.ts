import assert from 'node:assert/strict';
import { AuthRequiredError, ConfigurationError } from '../../../../src/common/errors';
import {
  LlmAuthError,
  LlmCancelledError,
  LlmContextLengthError,
  LlmRateLimitError,
  LlmRequestError,
  LlmServerError,
  LlmUnavailableError
} from '../../../../src/common/llm/errors';
import { createAzureOpenAiChatModel } from '../../../../src/node/llm/azure';
import type { CommonLlmOptions } from '../../../../src/node/llm/chatModel';
import { createOpenAiChatModel } from '../../../../src/node/llm/openai';
import { retryAfterMs } from '../../../../src/common/retryAfter';
import type { LlmRequest, LlmRetryInfo } from '../../../../src/common/llm/types';
import { startScriptedLlm, steps, type ScriptedLlm } from '../../../world';
import { recordingLogger } from '../../../support/logger';

const tools = [{ name: 'srv__get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
const ask = (extra: Partial<LlmRequest> = {}): LlmRequest => ({ messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi' }], tools, ...extra });

describe('LLM adapters over the openai package (scripted OpenAI-compatible server)', function () {
  this.timeout(10_000);
  let llm: ScriptedLlm;
  let sleeps: number[];
  const logger = recordingLogger();
  const common = (): CommonLlmOptions => ({ logger, sleep: async ms => { sleeps.push(ms); } });

  before(async () => { llm = await startScriptedLlm({ chunkChars: 3 }); });
  after(async () => { await llm.close(); });
  beforeEach(() => {
    llm.reset();
    sleeps = [];
  });

  const openai = (extra: Partial<Parameters<typeof createOpenAiChatModel>[0]> = {}) =>
    createOpenAiChatModel({ apiKey: 'sk-test-abcdefghijkl', model: 'gpt-4.1', baseUrl: llm.baseUrl, ...common(), ...extra });

  describe('OpenAI-compatible', () => {
    it('streams text deltas in order and reports the finish reason', async () => {
      llm.enqueue(steps.text('Hello there, world.'));
      const deltas: string[] = [];
      const r = await openai().complete(ask({ onText: d => deltas.push(d) }));
      assert.equal(r.text, 'Hello there, world.');
      assert.ok(deltas.length > 3);
      assert.equal(deltas.join(''), r.text);
      assert.equal(r.finishReason, 'stop');
      const req = llm.requests[0]!;
      assert.equal(req.api, 'openai');
      assert.equal(req.auth, 'bearer');
      assert.equal(req.stream, true);
      assert.equal(req.model, 'gpt-4.1');
      assert.deepEqual(req.tools.map(t => t.function.name), ['srv__get_weather']);
    });

    it('accumulates parallel tool calls whose arguments arrive in fragments', async () => {
      const long = 'São Paulo, '.repeat(20);
      llm.enqueue(steps.toolCalls(
        { name: 'srv__get_weather', arguments: { city: long }, id: 'call_a' },
        { name: 'srv__get_weather', arguments: { city: 'Oslo' }, id: 'call_b' },
        { name: 'srv__get_weather', arguments: '{"city": "broken', id: 'call_c' }
      ));
      const r = await openai().complete(ask());
      assert.equal(r.finishReason, 'tool_calls');
      assert.deepEqual(r.toolCalls.map(c => c.id), ['call_a', 'call_b', 'call_c']);
      assert.deepEqual(JSON.parse(r.toolCalls[0]!.arguments), { city: long });
      assert.deepEqual(JSON.parse(r.toolCalls[1]!.arguments), { city: 'Oslo' });
      assert.equal(r.toolCalls[2]!.arguments, '{"city": "broken');
    });

    it('sends history with tool calls and tool results in the Chat Completions shape', async () => {
      llm.enqueue(steps.text('ok'));
      await openai().complete({
        tools,
        messages: [
          { role: 'system', content: 's' },
          { role: 'user', content: 'u' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'srv__get_weather', arguments: '{"city":"x"}' }] },
          { role: 'tool', toolCallId: 'c1', name: 'srv__get_weather', content: 'r' }
        ]
      });
      const m = llm.requests[0]!.messages;
      assert.deepEqual(m[2], { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'srv__get_weather', arguments: '{"city":"x"}' } }] });
      assert.deepEqual(m[3], { role: 'tool', tool_call_id: 'c1', content: 'r' });
    });

    it('omits tools when there are none', async () => {
      llm.enqueue(steps.text('ok'));
      await openai().complete(ask({ tools: [] }));
      assert.equal('tools' in llm.requests[0]!.body, false);
    });

    it('429: honours Retry-After, bounded, and tells the caller about each retry', async () => {
      llm.enqueue(steps.rateLimited(3), steps.text('finally'));
      const retries: LlmRetryInfo[] = [];
      const r = await openai().complete(ask({ onRetry: i => retries.push(i) }));
      assert.equal(r.text, 'finally');
      assert.deepEqual(sleeps, [3000]);
      assert.deepEqual(retries, [{ attempt: 1, maxAttempts: 3, delayMs: 3000, status: 429 }]);

      llm.enqueue(steps.rateLimited(1), steps.rateLimited(1), steps.rateLimited(1), steps.text('never'));
      await assert.rejects(openai().complete(ask()), (e: unknown) => e instanceof LlmRateLimitError && e.retryAfterMs === 1000 && /rate limiting/.test(e.message));
      assert.equal(llm.pending, 1, 'three attempts, not more');
    });

    it('does not wait for a Retry-After beyond the bound', async () => {
      llm.enqueue(steps.rateLimited(600));
      await assert.rejects(openai().complete(ask()), (e: unknown) => e instanceof LlmRateLimitError && e.retryAfterMs === 600_000);
      assert.deepEqual(sleeps, []);
    });

    it('5xx is retried with backoff, then reported', async () => {
      llm.enqueue(steps.serverError(), steps.text('ok'));
      assert.equal((await openai().complete(ask())).text, 'ok');
      assert.deepEqual(sleeps, [1000]);
      llm.enqueue(steps.serverError(), steps.serverError(), steps.serverError());
      await assert.rejects(openai().complete(ask()), (e: unknown) => e instanceof LlmServerError && e.status === 500);
    });

    it('context too long is reported at once, not retried', async () => {
      llm.enqueue(steps.contextLengthExceeded(), steps.text('never'));
      await assert.rejects(openai().complete(ask()), (e: unknown) => e instanceof LlmContextLengthError && /too long/.test(e.message));
      assert.equal(llm.requests.length, 1);
    });

    it('a refused key: "check your key or sign-in", the key never in the message or the log', async () => {
      const strict = await startScriptedLlm({ acceptedCredentials: ['sk-the-right-key-0000'] });
      try {
        const model = createOpenAiChatModel({ apiKey: 'sk-the-wrong-key-1111', model: 'gpt-4.1', baseUrl: strict.baseUrl, ...common() });
        await assert.rejects(model.complete(ask()), (e: unknown) => e instanceof LlmAuthError && e.status === 401 && /check your key or sign-in/.test(e.message) && !e.message.includes('sk-the-wrong-key-1111'));
        assert.equal(strict.requests.length, 1, 'auth errors are not retried');
        assert.ok(logger.lines.every(l => !l.includes('sk-the-wrong-key-1111')));
      } finally {
        await strict.close();
      }
    });

    it('unknown endpoint → request error naming the model or deployment', async () => {
      const model = openai({ baseUrl: `${llm.url}/nothing` });
      await assert.rejects(model.complete(ask()), (e: unknown) => e instanceof LlmRequestError && e.status === 404);
    });

    it('unreachable → unavailable, after bounded retries', async () => {
      const model = openai({ baseUrl: 'http://127.0.0.1:1/v1' });
      await assert.rejects(model.complete(ask()), LlmUnavailableError);
      assert.equal(sleeps.length, 2);
    });

    it('an aborted request rejects with LlmCancelledError, also while waiting to retry', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(openai().complete(ask({ signal: ac.signal })), LlmCancelledError);
      llm.reset();
      llm.enqueue(steps.rateLimited(1), steps.text('never'));
      const ac2 = new AbortController();
      const model = createOpenAiChatModel({
        apiKey: 'sk-test-abcdefghijkl', model: 'gpt-4.1', baseUrl: llm.baseUrl, logger,
        sleep: (_ms, signal) => new Promise((_res, rej) => { signal?.addEventListener('abort', () => rej(new Error('aborted'))); ac2.abort(); })
      });
      await assert.rejects(model.complete(ask({ signal: ac2.signal })), LlmCancelledError);
      assert.equal(llm.requests.length, 1);
    });

    it('refuses a base URL that would send the key in clear text', () => {
      assert.throws(() => openai({ baseUrl: 'http://llm.example.com/v1' }), ConfigurationError);
      assert.throws(() => openai({ apiKey: '' }), ConfigurationError);
      assert.equal(openai({ baseUrl: 'https://gateway.example.com/v1' }).label, 'gpt-4.1 at gateway.example.com');
      assert.equal(openai({ baseUrl: '' }).label, 'OpenAI gpt-4.1');
    });

    it('declares the provider limits', () => {
      const m = openai();
      assert.equal(m.maxTools, 128);
      assert.equal(m.toolNameRules.maxLength, 64);
      assert.equal(m.id, 'openai:gpt-4.1');
    });
  });

  describe('Azure OpenAI', () => {
    const azure = (auth: Parameters<typeof createAzureOpenAiChatModel>[0]['auth']) =>
      createAzureOpenAiChatModel({ endpoint: `${llm.url}/`, deployment: 'gpt4o-prod', apiVersion: '2024-10-21', auth, ...common() });

    it('keyless: deployment path, api-version query, Entra bearer from the token function on every request', async () => {
      let asked = 0;
      const model = azure({ kind: 'entra', getToken: async () => `entra-token-${++asked}` });
      llm.enqueue(steps.toolCalls({ name: 'srv__get_weather', arguments: { city: 'Bern' } }), steps.text('fine'));
      const first = await model.complete(ask());
      await model.complete(ask());
      assert.equal(first.toolCalls[0]!.name, 'srv__get_weather', 'the choice-less content-filter chunk is skipped');
      const req = llm.requests[0]!;
      assert.equal(req.api, 'azure');
      assert.equal(req.path, '/openai/deployments/gpt4o-prod/chat/completions');
      assert.equal(req.deployment, 'gpt4o-prod');
      assert.equal(req.apiVersion, '2024-10-21');
      assert.equal(req.auth, 'bearer');
      assert.equal(req.headers['api-key'], undefined);
      assert.equal(asked, 2);
      assert.equal(model.id, 'azure:gpt4o-prod');
    });

    it('api-key mode sends the api-key header and no Authorization', async () => {
      const model = azure({ kind: 'apiKey', apiKey: 'azure-key-123' });
      llm.enqueue(steps.text('hi'));
      assert.equal((await model.complete(ask())).text, 'hi');
      const req = llm.requests[0]!;
      assert.equal(req.auth, 'api-key');
      assert.equal(req.headers.authorization, undefined);
      assert.equal(req.apiVersion, '2024-10-21');
      assert.equal(req.path, '/openai/deployments/gpt4o-prod/chat/completions');
    });

    it('a failing token function surfaces as its own error (sign in), with no request made', async () => {
      const model = azure({ kind: 'entra', getToken: async () => { throw new AuthRequiredError('Sign in to use Azure OpenAI.'); } });
      await assert.rejects(model.complete(ask()), AuthRequiredError);
      assert.equal(llm.requests.length, 0);
    });

    it('checks its configuration', () => {
      assert.throws(() => azure({ kind: 'apiKey', apiKey: '' }), ConfigurationError);
      assert.throws(() => createAzureOpenAiChatModel({ endpoint: 'http://contoso.openai.azure.com', deployment: 'd', apiVersion: '2024-10-21', auth: { kind: 'apiKey', apiKey: 'k' }, logger }), ConfigurationError);
      assert.throws(() => createAzureOpenAiChatModel({ endpoint: 'https://contoso.openai.azure.com', deployment: '', apiVersion: '2024-10-21', auth: { kind: 'apiKey', apiKey: 'k' }, logger }), ConfigurationError);
    });
  });

  it('parses Retry-After in all its forms', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    assert.equal(retryAfterMs(h({ 'retry-after-ms': '250' })), 250);
    assert.equal(retryAfterMs(h({ 'retry-after': '2' })), 2000);
    assert.equal(retryAfterMs(h({ 'retry-after': new Date(10_000).toUTCString() }), 4000), 6000);
    assert.equal(retryAfterMs(h({ 'retry-after': 'soon' })), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });
});
