// Test-only extension installed next to Secure MCP in the integration and e2e runs.
// It plays the peers a real VS Code would have: a chat model (Copilot's role) and an
// authentication provider (the Microsoft provider's role). Both talk to the local world
// when the runner points them at it, and fall back to canned answers otherwise.
//
// Environment (set by the runner through the extension host's environment):
//   SECURE_MCP_TEST_LLM_URL       OpenAI-compatible base URL, e.g. http://127.0.0.1:PORT/v1;
//                                 responses are streamed from <url>/chat/completions
//   SECURE_MCP_TEST_LLM_MODEL     model name sent upstream (default "scripted")
//   SECURE_MCP_TEST_TOKEN_URL     OAuth token endpoint; createSession POSTs a form to it
//   SECURE_MCP_TEST_TOKEN_PARAMS  JSON object of form fields (default grant_type=client_credentials)
//   SECURE_MCP_TEST_ACCOUNT       account label of sessions (default test-user@secure-mcp.test)
import * as vscode from 'vscode';

export const VENDOR = 'secure-mcp-test';
export const MODEL_ID = 'scripted';
export const PROVIDER_ID = 'secure-mcp-test';
export const PROVIDER_LABEL = 'Secure MCP Test';
export const CANNED_TEXT = 'Canned reply from the Secure MCP test model.';
export const FAKE_TOKEN = 'secure-mcp-test-fake-token';

/** What the model was asked, so tests can check what Secure MCP sent to the LLM. */
export interface RecordedRequest {
  readonly messages: readonly { role: string; content: string }[];
  readonly tools: readonly string[];
  readonly toolMode: vscode.LanguageModelChatToolMode;
}

/** The helper's exports, read by tests through `getExtension(...).exports`. */
export interface HelperApi {
  /**
   * The user settings.json (`<user data>/User/settings.json`, two levels above the global
   * storage), for settings VS Code does not let extensions write: chat.mcp.allowedServers
   * and chat.mcp.deniedServers are registered with `included: false`, policy-only.
   */
  readonly vendor: string;
  readonly modelId: string;
  readonly providerId: string;
  readonly providerLabel: string;
  readonly cannedText: string;
  readonly fakeToken: string;
  readonly requests: readonly RecordedRequest[];
  sessions(): readonly vscode.AuthenticationSession[];
  clearSessions(): void;
  /** Removes the sessions holding `scope`, as revoking that consent would. */
  forgetSessionsWith(scope: string): void;
  /**
   * Where sessions get real tokens from (the world's identity provider, driven by the
   * test); undefined restores the fixed fake token.
   */
  useTokenSupplier(supplier: TokenSupplier | undefined): void;
  /** The next silent request refreshes every session, as when the provider learned its token was revoked. */
  markStale(): void;
  /**
   * The next silent request signs every session in again with the current supplier
   * (another identity provider, say), keeping the sessions and so VS Code's access grant.
   */
  reissue(): void;
  /**
   * Whether a silent request for scopes no session has yet is granted without the user,
   * as MSAL does when consent exists (a step-up the user already agreed to).
   */
  grantNewScopesSilently(on: boolean): void;
  /** The scopes of every request to the provider (hints included), oldest first; tests may clear it. */
  readonly scopesAsked: string[][];
  /** How often the provider was asked, for "exactly one refresh" assertions. */
  readonly stats: { getSessions: number; creates: number; refreshes: number; silentGrants: number };
}

/** Tokens for a session: a sign-in, and the silent refresh a real provider does on expiry. */
export interface TokenSupplier {
  signIn(scopes: readonly string[]): Promise<SuppliedToken>;
  refresh(previous: SuppliedToken, scopes: readonly string[]): Promise<SuppliedToken>;
}

export interface SuppliedToken {
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly account?: string;
}

interface OpenAiMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export function activate(context: vscode.ExtensionContext): HelperApi {
  const requests: RecordedRequest[] = [];
  const auth = new TestAuthProvider();
  const chat = new TestChatProvider(requests);
  context.subscriptions.push(
    auth,
    vscode.authentication.registerAuthenticationProvider(PROVIDER_ID, PROVIDER_LABEL, auth, { supportsMultipleAccounts: false }),
    chat,
    vscode.lm.registerLanguageModelChatProvider(VENDOR, chat)
  );
  setTimeout(() => chat.announce(), 0);
  return {
    vendor: VENDOR,
    modelId: MODEL_ID,
    providerId: PROVIDER_ID,
    providerLabel: PROVIDER_LABEL,
    cannedText: CANNED_TEXT,
    fakeToken: FAKE_TOKEN,
    requests,
    sessions: () => auth.all(),
    clearSessions: () => auth.clear(),
    forgetSessionsWith: scope => auth.clear(e => e.scopes.includes(scope)),
    useTokenSupplier: supplier => { auth.supplier = supplier; },
    markStale: () => { auth.stale = true; },
    reissue: () => { auth.reissue = true; },
    grantNewScopesSilently: on => { auth.silentGrants = on; },
    scopesAsked: auth.scopesAsked,
    stats: auth.stats
  };
}

export function deactivate(): void {
  // context.subscriptions owns everything.
}

class TestChatProvider implements vscode.LanguageModelChatProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fired once after registration, so VS Code lists the model without being asked first. */
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;

  constructor(private readonly requests: RecordedRequest[]) {}

  announce(): void {
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }

  provideLanguageModelChatInformation(): vscode.LanguageModelChatInformation[] {
    return [{
      id: MODEL_ID,
      name: 'Secure MCP Test Model',
      family: 'secure-mcp-test',
      version: '1',
      detail: process.env.SECURE_MCP_TEST_LLM_URL ? 'scripted server' : 'canned',
      maxInputTokens: 128_000,
      maxOutputTokens: 16_000,
      capabilities: { toolCalling: true }
    }];
  }

  async provideLanguageModelChatResponse(
    _model: vscode.LanguageModelChatInformation,
    messages: readonly vscode.LanguageModelChatRequestMessage[],
    options: vscode.ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelResponsePart>,
    token: vscode.CancellationToken
  ): Promise<void> {
    const converted = toOpenAi(messages);
    this.requests.push({
      messages: converted.map(m => ({ role: m.role, content: m.content ?? '' })),
      tools: (options.tools ?? []).map(t => t.name),
      toolMode: options.toolMode
    });
    const base = process.env.SECURE_MCP_TEST_LLM_URL;
    if (!base) {
      progress.report(new vscode.LanguageModelTextPart(CANNED_TEXT));
      return;
    }
    await streamFromServer(base, converted, options, progress, token);
  }

  async provideTokenCount(_model: vscode.LanguageModelChatInformation, text: string | vscode.LanguageModelChatRequestMessage): Promise<number> {
    const s = typeof text === 'string' ? text : JSON.stringify(text.content);
    return Math.ceil(s.length / 4);
  }
}

function roleName(role: vscode.LanguageModelChatMessageRole): OpenAiMessage['role'] {
  switch (role) {
    case vscode.LanguageModelChatMessageRole.User:
      return 'user';
    case vscode.LanguageModelChatMessageRole.Assistant:
      return 'assistant';
    default:
      return 'system';
  }
}

function textOf(parts: readonly unknown[]): string {
  return parts.map(p => p instanceof vscode.LanguageModelTextPart ? p.value : typeof p === 'string' ? p : '').join('');
}

function toOpenAi(messages: readonly vscode.LanguageModelChatRequestMessage[]): OpenAiMessage[] {
  const out: OpenAiMessage[] = [];
  for (const m of messages) {
    const role = roleName(m.role);
    const text: string[] = [];
    const toolCalls: NonNullable<OpenAiMessage['tool_calls']> = [];
    for (const part of m.content) {
      if (part instanceof vscode.LanguageModelTextPart) {
        text.push(part.value);
      } else if (part instanceof vscode.LanguageModelToolCallPart) {
        toolCalls.push({ id: part.callId, type: 'function', function: { name: part.name, arguments: JSON.stringify(part.input) } });
      } else if (part instanceof vscode.LanguageModelToolResultPart) {
        out.push({ role: 'tool', tool_call_id: part.callId, content: textOf(part.content) });
      }
    }
    if (text.length || toolCalls.length) {
      out.push({ role, content: text.length ? text.join('') : null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) });
    }
  }
  return out;
}

/** Streams Chat Completions (SSE) and reports text and completed tool calls. */
async function streamFromServer(
  base: string,
  messages: OpenAiMessage[],
  options: vscode.ProvideLanguageModelChatResponseOptions,
  progress: vscode.Progress<vscode.LanguageModelResponsePart>,
  token: vscode.CancellationToken
): Promise<void> {
  const abort = new AbortController();
  const cancel = token.onCancellationRequested(() => abort.abort());
  try {
    const tools = (options.tools ?? []).map(t => ({
      type: 'function' as const,
      function: { name: t.name, description: t.description, parameters: t.inputSchema ?? { type: 'object', properties: {} } }
    }));
    const response = await fetch(`${base.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secure-mcp-test' },
      body: JSON.stringify({
        model: process.env.SECURE_MCP_TEST_LLM_MODEL || MODEL_ID,
        stream: true,
        messages,
        ...(tools.length ? { tools, tool_choice: options.toolMode === vscode.LanguageModelChatToolMode.Required ? 'required' : 'auto' } : {})
      }),
      signal: abort.signal
    });
    if (!response.ok || !response.body) {
      throw new Error(`test LLM server answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    }
    const calls = new Map<number, { id: string; name: string; args: string }>();
    const decoder = new TextDecoder();
    let buffer = '';
    let done = false;
    const reader = response.body.getReader();
    while (!done) {
      const chunk = await reader.read();
      if (chunk.done) {
        break;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line.startsWith('data:')) {
          continue;
        }
        const data = line.slice(5).trim();
        if (data === '[DONE]') {
          done = true;
          break;
        }
        const event = JSON.parse(data) as { choices?: { delta?: { content?: string | null; tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] } }[] };
        const delta = event.choices?.[0]?.delta;
        if (delta?.content) {
          progress.report(new vscode.LanguageModelTextPart(delta.content));
        }
        for (const tc of delta?.tool_calls ?? []) {
          const call = calls.get(tc.index) ?? { id: '', name: '', args: '' };
          call.id ||= tc.id ?? '';
          call.name += tc.function?.name ?? '';
          call.args += tc.function?.arguments ?? '';
          calls.set(tc.index, call);
        }
      }
    }
    await reader.cancel().catch(() => undefined);
    for (const call of calls.values()) {
      progress.report(new vscode.LanguageModelToolCallPart(call.id, call.name, call.args ? JSON.parse(call.args) as object : {}));
    }
  } finally {
    cancel.dispose();
  }
}

class TestAuthProvider implements vscode.AuthenticationProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  private readonly store: { session: vscode.AuthenticationSession; token?: SuppliedToken }[] = [];
  private counter = 0;
  supplier: TokenSupplier | undefined;
  stale = false;
  reissue = false;
  silentGrants = false;
  readonly stats = { getSessions: 0, creates: 0, refreshes: 0, silentGrants: 0 };
  readonly scopesAsked: string[][] = [];
  readonly onDidChangeSessions = this.emitter.event;

  all(): readonly vscode.AuthenticationSession[] {
    return this.store.map(e => e.session);
  }

  clear(which: (session: vscode.AuthenticationSession) => boolean = () => true): void {
    const removed = this.store.filter(e => which(e.session)).map(e => e.session);
    this.store.splice(0, this.store.length, ...this.store.filter(e => !which(e.session)));
    if (removed.length) {
      this.emitter.fire({ added: [], removed, changed: [] });
    }
  }

  /** Like MSAL-backed providers: an expired token is refreshed silently before it is handed out. */
  async getSessions(scopes: readonly string[] | undefined): Promise<vscode.AuthenticationSession[]> {
    this.stats.getSessions++;
    this.scopesAsked.push([...scopes ?? []]);
    const matching = this.store.filter(e => !scopes || scopes.every(x => e.session.scopes.includes(x)));
    if (!matching.length && scopes && this.silentGrants && this.supplier && this.store.length) {
      this.stats.silentGrants++;
      return [await this.add(scopes, await this.supplier.signIn(scopes))];
    }
    const stale = this.stale;
    const reissue = this.reissue;
    this.stale = false;
    this.reissue = false;
    for (const entry of matching) {
      if (reissue && this.supplier) {
        entry.token = await this.supplier.signIn(entry.session.scopes);
        entry.session = { ...entry.session, accessToken: entry.token.accessToken };
        this.emitter.fire({ added: [], removed: [], changed: [entry.session] });
      } else if (entry.token && this.supplier && (stale || entry.token.expiresAt <= Date.now() + 1_000)) {
        this.stats.refreshes++;
        entry.token = await this.supplier.refresh(entry.token, entry.session.scopes);
        entry.session = { ...entry.session, accessToken: entry.token.accessToken };
        this.emitter.fire({ added: [], removed: [], changed: [entry.session] });
      }
    }
    return matching.map(e => e.session);
  }

  async createSession(scopes: readonly string[]): Promise<vscode.AuthenticationSession> {
    this.stats.creates++;
    this.scopesAsked.push([...scopes]);
    return this.add(scopes, this.supplier ? await this.supplier.signIn(scopes) : undefined);
  }

  private async add(scopes: readonly string[], token: SuppliedToken | undefined): Promise<vscode.AuthenticationSession> {
    const session: vscode.AuthenticationSession = {
      id: `secure-mcp-test-${++this.counter}`,
      accessToken: token?.accessToken ?? await fetchToken(scopes),
      account: { id: 'secure-mcp-test-account', label: token?.account ?? process.env.SECURE_MCP_TEST_ACCOUNT ?? 'test-user@secure-mcp.test' },
      scopes: [...scopes]
    };
    // One session per scope set, as the built-in providers keep it.
    const existing = this.store.findIndex(e => e.session.scopes.join(' ') === session.scopes.join(' '));
    const removed = existing >= 0 ? this.store.splice(existing, 1).map(e => e.session) : [];
    this.store.push({ session, ...(token ? { token } : {}) });
    this.emitter.fire({ added: [session], removed, changed: [] });
    return session;
  }

  async removeSession(sessionId: string): Promise<void> {
    const i = this.store.findIndex(e => e.session.id === sessionId);
    if (i >= 0) {
      const [removed] = this.store.splice(i, 1);
      this.emitter.fire({ added: [], removed: removed ? [removed.session] : [], changed: [] });
    }
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** A token from the test token endpoint when configured, else a fixed fake one for plumbing tests. */
async function fetchToken(scopes: readonly string[]): Promise<string> {
  const url = process.env.SECURE_MCP_TEST_TOKEN_URL;
  if (!url) {
    return FAKE_TOKEN;
  }
  const extra = JSON.parse(process.env.SECURE_MCP_TEST_TOKEN_PARAMS || '{}') as Record<string, string>;
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' '), ...extra });
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body,
    signal: AbortSignal.timeout(15_000)
  });
  const json = await response.json() as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || !json.access_token) {
    throw new Error(`test token endpoint answered ${response.status}: ${json.error ?? ''} ${json.error_description ?? ''}`.trim());
  }
  return json.access_token;
}
