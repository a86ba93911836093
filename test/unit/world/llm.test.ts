import * as assert from 'node:assert/strict';
import OpenAI, { AzureOpenAI, APIError } from 'openai';
import { startScriptedLlm, steps, type ScriptedLlm } from '../../world/llm';

describe('world scripted LLM', function () {
  this.timeout(10_000);
  let llm: ScriptedLlm;
  let openai: OpenAI;
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hello' }];
  const weatherTool: OpenAI.Chat.ChatCompletionTool = {
    type: 'function',
    function: { name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }
  };

  before(async () => {
    llm = await startScriptedLlm({ chunkChars: 5 });
    openai = new OpenAI({ apiKey: 'sk-test-secret-key', baseURL: llm.baseUrl, maxRetries: 0 });
  });
  beforeEach(() => llm.reset());
  after(async () => {
    await llm.close();
  });

  it('streams scripted text in several chunks and ends with finish_reason stop', async () => {
    llm.enqueue(steps.text('The quick brown fox jumps over the lazy dog.'));
    const stream = await openai.chat.completions.create({ model: 'gpt-4.1', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let chunks = 0;
    let finish: string | null = null;
    let usage = false;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage ||= !!chunk.usage;
    }
    assert.equal(text, 'The quick brown fox jumps over the lazy dog.');
    assert.ok(chunks > 5);
    assert.equal(finish, 'stop');
    assert.ok(usage);
    const recorded = llm.requests[0]!;
    assert.equal(recorded.stream, true);
    assert.equal(recorded.model, 'gpt-4.1');
    assert.deepEqual(recorded.messages, messages);
    assert.equal(recorded.headers.authorization, 'Bearer ***');
    assert.ok(!JSON.stringify(llm.requests).includes('sk-test-secret-key'));
  });

  it('streams parallel tool calls whose arguments the client reassembles', async () => {
    llm.enqueue(steps.toolCalls(
      { name: 'get_weather', arguments: { city: 'Paris' }, id: 'call_a' },
      { name: 'get_weather', arguments: { city: 'Saint-Étienne-du-Rouvray' }, id: 'call_b' }
    ));
    const stream = await openai.chat.completions.create({ model: 'gpt-4.1', messages, tools: [weatherTool], stream: true });
    const calls: { id: string; name: string; args: string }[] = [];
    let fragments = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        fragments += 1;
        const call = (calls[delta.index] ??= { id: '', name: '', args: '' });
        call.id ||= delta.id ?? '';
        call.name ||= delta.function?.name ?? '';
        call.args += delta.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    assert.ok(fragments > 4, 'arguments arrive split across chunks');
    assert.deepEqual(calls.map((c) => ({ id: c.id, name: c.name, args: JSON.parse(c.args) as unknown })), [
      { id: 'call_a', name: 'get_weather', args: { city: 'Paris' } },
      { id: 'call_b', name: 'get_weather', args: { city: 'Saint-Étienne-du-Rouvray' } }
    ]);
    assert.equal(llm.requests[0]!.tools[0]!.function.name, 'get_weather');

    // The SDK's own stream helper reassembles the same message.
    llm.enqueue(steps.toolCalls({ name: 'get_weather', arguments: { city: 'Oslo' } }, { name: 'get_date', arguments: {} }));
    const final = await openai.chat.completions.stream({ model: 'gpt-4.1', messages, tools: [weatherTool] }).finalChatCompletion();
    const toolCalls = final.choices[0]!.message.tool_calls!.map((c) => (c.type === 'function' ? [c.function.name, c.function.arguments] : []));
    assert.deepEqual(toolCalls, [['get_weather', '{"city":"Oslo"}'], ['get_date', '{}']]);
  });

  it('answers non-streaming requests in the chat.completion shape', async () => {
    llm.enqueue(steps.toolCalls({ name: 'get_weather', arguments: { city: 'Rome' } }));
    const res = await openai.chat.completions.create({ model: 'gpt-4.1', messages, tools: [weatherTool] });
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.choices[0]!.finish_reason, 'tool_calls');
    const call = res.choices[0]!.message.tool_calls![0]!;
    assert.ok(call.type === 'function' && call.function.arguments === '{"city":"Rome"}');
  });

  it('surfaces 429 with Retry-After, and the client retries after it', async () => {
    llm.enqueue(steps.rateLimited(2));
    const err = await openai.chat.completions.create({ model: 'gpt-4.1', messages }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof APIError);
    assert.equal(err.status, 429);
    assert.equal(err.headers?.get('retry-after'), '2');
    assert.equal((err.error as { code?: string }).code, 'rate_limit_exceeded');

    llm.reset();
    llm.enqueue(steps.rateLimited(1), steps.text('after the wait'));
    const retrying = new OpenAI({ apiKey: 'k', baseURL: llm.baseUrl, maxRetries: 1 });
    const started = Date.now();
    const res = await retrying.chat.completions.create({ model: 'gpt-4.1', messages });
    assert.equal(res.choices[0]!.message.content, 'after the wait');
    assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
    assert.equal(llm.requests.length, 2);
  });

  it('scripts 500 and context_length_exceeded faults', async () => {
    llm.enqueue(steps.serverError(), steps.contextLengthExceeded());
    const e500 = await openai.chat.completions.create({ model: 'gpt-4.1', messages }).then(() => undefined, (e: unknown) => e);
    assert.ok(e500 instanceof APIError && e500.status === 500);
    const e400 = await openai.chat.completions.create({ model: 'gpt-4.1', messages }).then(() => undefined, (e: unknown) => e);
    assert.ok(e400 instanceof APIError && e400.status === 400);
    assert.equal(e400.code, 'context_length_exceeded');
  });

  it('serves the Azure path with api-version and an api-key header', async () => {
    const azure = new AzureOpenAI({ endpoint: llm.url, apiKey: 'azure-secret-key', deployment: 'gpt4o-prod', apiVersion: '2024-10-21', maxRetries: 0 });
    llm.enqueue(steps.text('hello from azure'));
    const stream = await azure.chat.completions.create({ model: 'ignored', messages, stream: true });
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
    }
    assert.equal(text, 'hello from azure');
    const recorded = llm.requests[0]!;
    assert.equal(recorded.api, 'azure');
    assert.equal(recorded.deployment, 'gpt4o-prod');
    assert.equal(recorded.apiVersion, '2024-10-21');
    assert.equal(recorded.auth, 'api-key');
    assert.equal(recorded.headers['api-key'], '***');
    assert.ok(!JSON.stringify(llm.requests).includes('azure-secret-key'));
  });

  it('serves the Azure path with an Entra bearer token', async () => {
    const azure = new AzureOpenAI({
      endpoint: llm.url, deployment: 'gpt4o-prod', apiVersion: '2025-01-01-preview', maxRetries: 0,
      azureADTokenProvider: async () => 'entra-access-token'
    });
    const res = await azure.chat.completions.create({ model: 'ignored', messages });
    assert.ok(res.choices[0]!.message.content);
    assert.equal(llm.requests[0]!.auth, 'bearer');
    assert.equal(llm.requests[0]!.apiVersion, '2025-01-01-preview');
    assert.equal(llm.requests[0]!.headers.authorization, 'Bearer ***');
  });

  it('refuses requests without a credential, and Azure requests without api-version', async () => {
    const noKey = await fetch(`${llm.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages }) });
    assert.equal(noKey.status, 401);
    const noVersion = await fetch(`${llm.url}/openai/deployments/d/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'api-key': 'k' }, body: JSON.stringify({ messages }) });
    assert.equal(noVersion.status, 400);
  });

  it('falls back to rules: a weather question calls get_weather, a tool result is quoted', async () => {
    const ask: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris today?' }];
    const first = await openai.chat.completions.create({ model: 'gpt-4.1', messages: ask, tools: [weatherTool] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
    const second = await openai.chat.completions.create({
      model: 'gpt-4.1', tools: [weatherTool],
      messages: [...ask, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'Weather in Paris: Sunny, 21 °C' }]
    });
    assert.match(second.choices[0]!.message.content ?? '', /Weather in Paris: Sunny, 21 °C/);
    const chat = await openai.chat.completions.create({ model: 'gpt-4.1', messages });
    assert.match(chat.choices[0]!.message.content ?? '', /hello/);
    assert.deepEqual(llm.requests.map((r) => r.answeredBy), ['default', 'default', 'default']);
  });

  it('lists models', async () => {
    const models = await openai.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['gpt-4.1', 'gpt-4o-mini']);
  });
});
