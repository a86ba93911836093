/**
 * A scripted OpenAI-compatible Chat Completions server, so the tool loop is exercised
 * over the real `openai` client and real SSE framing rather than a mocked adapter.
 * Tests queue steps; with an empty queue a small rule-based model keeps the demo usable.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import express from 'express';
import { closeServer, listen, LOOPBACK_HOST, maskHeaders } from './net';

export interface ScriptedToolCall {
  name: string;
  /** An object is JSON-encoded; a string is sent as is (to script malformed arguments). */
  arguments: Record<string, unknown> | string;
  id?: string;
}

export type LlmStep =
  | { kind: 'text'; text: string }
  | { kind: 'tool_calls'; calls: ScriptedToolCall[]; text?: string }
  | { kind: 'error'; status: number; type: string; code: string | null; message: string; retryAfterSeconds?: number };

export const steps = {
  text: (text: string): LlmStep => ({ kind: 'text', text }),
  toolCalls: (...calls: ScriptedToolCall[]): LlmStep => ({ kind: 'tool_calls', calls }),
  rateLimited: (retryAfterSeconds = 1): LlmStep => ({
    kind: 'error', status: 429, type: 'requests', code: 'rate_limit_exceeded', retryAfterSeconds,
    message: `Rate limit reached. Please try again in ${retryAfterSeconds}s.`
  }),
  serverError: (): LlmStep => ({
    kind: 'error', status: 500, type: 'server_error', code: null,
    message: 'The server had an error while processing your request. Sorry about that!'
  }),
  contextLengthExceeded: (): LlmStep => ({
    kind: 'error', status: 400, type: 'invalid_request_error', code: 'context_length_exceeded',
    message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages."
  })
};

export interface RecordedLlmRequest {
  api: 'openai' | 'azure';
  path: string;
  deployment?: string;
  apiVersion?: string;
  /** Which credential the request carried; its value is never recorded. */
  auth: 'bearer' | 'api-key' | 'none';
  /** Header values with Authorization / api-key masked. */
  headers: Record<string, string>;
  model: string | undefined;
  stream: boolean;
  messages: ChatMessage[];
  tools: ChatTool[];
  body: Record<string, unknown>;
  /** What answered: a scripted step, the default rules, or a refusal before either. */
  answeredBy: 'script' | 'default' | 'refused';
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  name?: string;
}

export interface ChatTool {
  type: string;
  function: { name: string; description?: string; parameters?: unknown };
}

export interface LlmServerOptions {
  /** 0 (default) = ephemeral. */
  port?: number;
  /** When given, the bearer token or `api-key` must be one of these; otherwise any non-empty credential passes. */
  acceptedCredentials?: string[];
  /** Model ids listed by `GET /v1/models`. */
  models?: string[];
  /** Characters per streamed content chunk. Default 12. */
  chunkChars?: number;
}

export interface ScriptedLlm {
  /** `http://127.0.0.1:<port>` — also the Azure `endpoint`. */
  url: string;
  /** `http://127.0.0.1:<port>/v1` — the OpenAI `baseURL`. */
  baseUrl: string;
  readonly requests: RecordedLlmRequest[];
  /** Appends steps answered, in order, by the next chat completion requests. */
  enqueue(...steps: LlmStep[]): void;
  /** Steps not yet consumed. */
  readonly pending: number;
  /** Drops queued steps and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') {
    return content;
  }
  if (Array.isArray(content)) {
    return content.map((part) => (part && typeof part === 'object' && 'text' in part && typeof part.text === 'string' ? part.text : '')).join('');
  }
  return '';
}

/** The demo's stand-in for a model: weather questions call `get_weather`, tool results are quoted. */
export function defaultReply(messages: ChatMessage[], tools: ChatTool[]): LlmStep {
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  const toolResults = messages.slice(lastUser + 1).filter((m) => m.role === 'tool');
  if (toolResults.length > 0) {
    // Clients may wrap results in data markers (Secure MCP does); a person wants the data.
    const quoted = toolResults.map((m) => {
      const text = textOf(m.content);
      const inner = /<<<untrusted-data boundary=(\S+)>>>\n([\s\S]*?)\n<<<end-untrusted-data boundary=\1>>>/.exec(text);
      return inner ? inner[2]!.trim() : text.trim();
    }).join('; ');
    return steps.text(`Here is what the tool returned: ${quoted}`);
  }
  const prompt = lastUser >= 0 ? textOf(messages[lastUser]!.content) : '';
  const weather = /weather\s+(?:in|for|at)\s+([\p{L}][\p{L}\p{M} .'-]*?)\s*(?:[?.!,;]|today|now|$)/iu.exec(prompt);
  if (weather) {
    // Clients may namespace tool names per server (e.g. `world__get_weather`).
    const tool = tools.find((t) => t.function.name === 'get_weather' || t.function.name.endsWith('get_weather'));
    if (tool) {
      return steps.toolCalls({ name: tool.function.name, arguments: { city: weather[1]!.trim() } });
    }
    return steps.text(`I have no weather tool available, so I can't tell you the weather in ${weather[1]!.trim()}.`);
  }
  const short = prompt.length > 80 ? `${prompt.slice(0, 77)}...` : prompt;
  return steps.text(`You said: "${short}". I am the local world's scripted model; ask me about the weather in a city.`);
}

function chunkText(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) {
    chunks.push(text.slice(i, i + size));
  }
  return chunks.length > 0 ? chunks : [''];
}

export async function startScriptedLlm(options: LlmServerOptions = {}): Promise<ScriptedLlm> {
  const queue: LlmStep[] = [];
  const requests: RecordedLlmRequest[] = [];
  const models = options.models ?? ['gpt-4.1', 'gpt-4o-mini'];
  const chunkChars = Math.max(1, options.chunkChars ?? 12);
  const accepted = options.acceptedCredentials ? new Set(options.acceptedCredentials) : undefined;

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '32mb' }));

  const sendError = (res: express.Response, status: number, type: string, code: string | null, message: string, param: string | null = null) => {
    res.status(status).json({ error: { message, type, param, code } });
  };

  const credentialOf = (req: express.Request, api: 'openai' | 'azure'): { auth: RecordedLlmRequest['auth']; value: string | undefined } => {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) {
      return { auth: 'bearer', value: bearer };
    }
    const apiKey = req.headers['api-key'];
    if (api === 'azure' && typeof apiKey === 'string' && apiKey) {
      return { auth: 'api-key', value: apiKey };
    }
    return { auth: 'none', value: undefined };
  };

  const completions = (api: 'openai' | 'azure'): express.RequestHandler => (req, res) => {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const { auth, value } = credentialOf(req, api);
    const deployment = api === 'azure' ? String(req.params.deployment) : undefined;
    const apiVersion = typeof req.query['api-version'] === 'string' ? req.query['api-version'] : undefined;
    const record: RecordedLlmRequest = {
      api, path: req.path, auth, headers: maskHeaders(req.headers),
      model: typeof body.model === 'string' ? body.model : deployment,
      stream: body.stream === true,
      messages: Array.isArray(body.messages) ? (body.messages as ChatMessage[]) : [],
      tools: Array.isArray(body.tools) ? (body.tools as ChatTool[]) : [],
      body,
      answeredBy: 'refused',
      ...(deployment !== undefined ? { deployment } : {}),
      ...(apiVersion !== undefined ? { apiVersion } : {})
    };
    requests.push(record);

    if (!value || (accepted && !accepted.has(value))) {
      sendError(res, 401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.');
      return;
    }
    if (api === 'azure' && !apiVersion) {
      sendError(res, 400, 'invalid_request_error', 'missing_api_version', 'Missing required query parameter: api-version.');
      return;
    }
    if (record.messages.length === 0) {
      sendError(res, 400, 'invalid_request_error', null, "Missing required parameter: 'messages'.", 'messages');
      return;
    }
    if (api === 'openai' && !record.model) {
      sendError(res, 400, 'invalid_request_error', null, "Missing required parameter: 'model'.", 'model');
      return;
    }

    const scripted = queue.shift();
    record.answeredBy = scripted ? 'script' : 'default';
    const step = scripted ?? defaultReply(record.messages, record.tools);
    if (step.kind === 'error') {
      if (step.retryAfterSeconds !== undefined) {
        res.set('Retry-After', String(step.retryAfterSeconds));
      }
      sendError(res, step.status, step.type, step.code, step.message);
      return;
    }

    const id = `chatcmpl-${crypto.randomBytes(12).toString('base64url')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = record.model ?? models[0]!;
    const toolCalls = step.kind === 'tool_calls'
      ? step.calls.map((c) => ({
        id: c.id ?? `call_${crypto.randomBytes(12).toString('base64url')}`,
        type: 'function' as const,
        function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) }
      }))
      : [];
    const content = step.kind === 'text' ? step.text : (step.text ?? null);
    const finishReason = toolCalls.length > 0 ? 'tool_calls' : 'stop';
    const promptTokens = Math.ceil(JSON.stringify(record.messages).length / 4);
    const completionTokens = Math.ceil(((content ?? '').length + JSON.stringify(toolCalls).length) / 4);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };

    if (!record.stream) {
      res.json({
        id, object: 'chat.completion', created, model, system_fingerprint: 'fp_world',
        choices: [{
          index: 0,
          message: { role: 'assistant', content, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
          logprobs: null,
          finish_reason: finishReason
        }],
        usage
      });
      return;
    }

    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const send = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => send({
      id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_world',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }]
    });
    if (api === 'azure') {
      // Azure opens every stream with a choice-less content-filter chunk; clients must skip it.
      send({ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] });
    }
    chunk({ role: 'assistant', content: toolCalls.length > 0 && content === null ? null : '', refusal: null });
    if (content) {
      for (const piece of chunkText(content, chunkChars)) {
        chunk({ content: piece });
      }
    }
    toolCalls.forEach((call, index) => {
      // Like OpenAI: the first delta names the call, the arguments follow in fragments.
      chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
      for (const piece of chunkText(call.function.arguments, Math.max(1, Math.ceil(chunkChars / 2)))) {
        chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
      }
    });
    chunk({}, finishReason);
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) {
      send({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_world', choices: [], usage });
    }
    res.write('data: [DONE]\n\n');
    res.end();
  };

  app.post('/v1/chat/completions', completions('openai'));
  app.post('/openai/deployments/:deployment/chat/completions', completions('azure'));
  app.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'local-world' })) });
  });
  app.use((_req, res) => sendError(res, 404, 'invalid_request_error', 'not_found', 'Unknown endpoint.'));

  const server = http.createServer(app);
  const port = await listen(server, options.port ?? 0);
  const url = `http://${LOOPBACK_HOST}:${port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    enqueue: (...more: LlmStep[]) => void queue.push(...more),
    get pending() {
      return queue.length;
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    close: () => closeServer(server)
  };
}
