import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolResultSchema,
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
  LoggingMessageNotificationSchema,
  McpError,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ElicitRequest,
  type ElicitResult,
  type Progress,
  type Tool
} from '@modelcontextprotocol/sdk/types.js';
import type { AuthFetch, FetchLike } from '../auth/authFetch';
import { AuthRequiredError, DeclinedByUserError, InsufficientScopeError, ProtocolError, SecureMcpError, ServerUnreachableError } from '../../common/errors';
import { mask, maskError, scoped, type Logger } from '../../common/log';
import { retryAfterMs } from '../../common/retryAfter';
import { limitResponseBytes, RESULT_TOO_LARGE } from './limits';

export type { CallToolResult, Tool };
export type SessionState = 'disconnected' | 'connecting' | 'connected' | 'failed' | 'closed';
export type ElicitationHandler = (request: ElicitRequest['params'], signal: AbortSignal) => Promise<ElicitResult>;

export interface McpSessionOptions {
  readonly serverUrl: URL;
  /** The fetch every request goes through: the auth middleware in the product. */
  readonly fetch: FetchLike;
  /**
   * Masks credentials in text the server chose (error bodies, JSON-RPC errors) before it
   * becomes an error message or a log line. Default: the auth fetch's `redact`, which
   * also knows the exact tokens it sent, else `mask`.
   */
  readonly redact?: (text: string) => string;
  readonly logger: Logger;
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly connectTimeoutMs: number;
  /** A call that makes no progress for this long is cancelled. */
  readonly callTimeoutMs: number;
  /** Hard limit for a call, even while it reports progress. */
  readonly callMaxTimeoutMs: number;
  readonly maxResultBytes: number;
  /** Cap on one answer to tools/list (a catalogue, not a result). Default 16 MiB. */
  readonly maxListBytes?: number;
  /** Most tools accepted from a server, over all pages; more is an error, never a silent cut. Default 10,000. */
  readonly maxTools?: number;
  /** Connection attempts when the server is unreachable, with exponential backoff. */
  readonly reconnect?: { readonly attempts: number; readonly initialDelayMs: number; readonly maxDelayMs: number };
  readonly sleep?: (ms: number) => Promise<void>;
  /** Declares elicitation (form and URL) only when given. */
  readonly elicitation?: ElicitationHandler;
  readonly onToolsChanged?: (tools: readonly Tool[]) => void;
  readonly onStateChange?: (state: SessionState, error?: Error) => void;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
}

const FALLBACK_STATUSES = new Set([400, 404, 405]);
/** MCP 2026-07-28's answers to a request in the older shape: header mismatch, unsupported version. */
const PROTOCOL_HEADER_MISMATCH = -32020;
const UNSUPPORTED_PROTOCOL_VERSION = -32022;
/** Bytes of a refused request's body read to find its JSON-RPC error. */
const MAX_ERROR_BODY = 64 * 1024;
/**
 * The SDK's Client checks a result's `structuredContent` against the tool's `outputSchema`
 * (docs/security.md E5) and throws a bare McpError, with codes a server's own JSON-RPC errors
 * use too; only the SDK's wording tells its check apart.
 */
const OUTPUT_SCHEMA_VIOLATION = /^MCP error -?\d+: (Structured content does not match the tool's output schema|Tool .* has an output schema but did not return structured content|Failed to validate structured content)/;
const DEFAULT_MAX_TOOLS = 10_000;
const DEFAULT_MAX_LIST_BYTES = 16 * 1_048_576;

// Characters of an error's own text quoted in a message; an HTML error page can be far longer.
const MAX_DESCRIBED = 300;

/**
 * One MCP connection: Streamable HTTP with legacy SSE fallback, bounded reconnects,
 * a tool list cache kept fresh by `tools/list_changed`, and tool calls with progress,
 * cancellation, timeouts and a byte cap.
 */
export class McpSession {
  private client: Client | undefined;
  /** Clients that have read the tool list, so the SDK validates their structured results. */
  private readonly listed = new WeakSet<Client>();
  private connecting: Promise<Client> | undefined;
  private toolCache: Tool[] | undefined;
  private stateValue: SessionState = 'disconnected';
  private readonly log: Logger;
  private readonly fetch: FetchLike;
  private readonly redact: (text: string) => string;
  transportKind: 'streamable-http' | 'sse' | undefined;
  /** The Retry-After of the last 503/429 answer to a connection attempt, in ms. */
  private retryAfter: number | undefined;
  /** Clients whose connection closed: a -32000 on them is the SDK's own "connection closed". */
  private readonly closedClients = new WeakSet<Client>();
  /** Waiters for notifications/elicitation/complete, by elicitation id. */
  private readonly completions = new Map<string, () => void>();

  constructor(private readonly options: McpSessionOptions) {
    this.log = scoped(options.logger, 'mcp');
    this.fetch = limitResponseBytes(options.fetch, { maxBytes: options.maxResultBytes, maxListBytes: options.maxListBytes ?? DEFAULT_MAX_LIST_BYTES });
    const own = (options.fetch as Partial<AuthFetch>).redact;
    this.redact = options.redact ?? (typeof own === 'function' ? own : text => mask(text));
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get serverVersion(): { name: string; version: string } | undefined {
    return this.client?.getServerVersion();
  }

  /** Connects if needed; concurrent callers share one attempt. */
  connect(): Promise<Client> {
    if (this.stateValue === 'closed') {
      return Promise.reject(new SecureMcpError('The MCP session was closed.'));
    }
    if (this.client) {
      return Promise.resolve(this.client);
    }
    this.connecting ??= this.connectWithRetry().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  async listTools(signal?: AbortSignal): Promise<readonly Tool[]> {
    if (this.toolCache) {
      return this.toolCache;
    }
    const tools = await this.withSessionRecovery(client => this.listAll(client, signal));
    this.toolCache = tools;
    return tools;
  }

  /**
   * Every page of the tool list from `client`. The SDK checks a tool's structured results
   * against its outputSchema (E5) only on a client that has listed the tools, so each new
   * client lists them before its first call.
   */
  private async listAll(client: Client, signal?: AbortSignal): Promise<Tool[]> {
    if (!client.getServerCapabilities()?.tools) {
      this.log.info('the server does not declare the tools capability; it offers no tools');
      this.listed.add(client);
      return [];
    }
    const max = this.options.maxTools ?? DEFAULT_MAX_TOOLS;
    const tooMany = (why: string) => new ProtocolError(`The MCP server lists more than ${max} tools (${why}); none were taken. Raise secureMcp.limits.maxTools if the server really offers that many.`);
    const all: Tool[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    do {
      const r = await client.listTools(cursor ? { cursor } : {}, { ...(signal ? { signal } : {}), timeout: this.options.connectTimeoutMs });
      all.push(...r.tools);
      cursor = r.nextCursor;
      if (all.length > max) {
        throw tooMany(`${all.length} so far`);
      }
      if (cursor !== undefined && (cursors.has(cursor) || cursors.size >= max)) {
        // A cursor seen before, or more pages than tools allowed: the list would never end.
        throw tooMany(`page ${cursors.size + 1} repeats a cursor or pages never end`);
      }
      if (cursor !== undefined) {
        cursors.add(cursor);
      }
    } while (cursor !== undefined);
    this.listed.add(client);
    return all;
  }

  async callTool(name: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<CallToolResult> {
    const result = await this.withSessionRecovery(async client => {
      if (!this.listed.has(client)) {
        this.toolCache = await this.listAll(client, options.signal);
      }
      if (!client.getServerCapabilities()?.tools) {
        throw new ProtocolError(`The MCP server offers no tools (it does not declare the tools capability), so ${name} cannot be called.`);
      }
      const call = () => client.callTool({ name, arguments: args }, CallToolResultSchema, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onprogress: options.onProgress } : {}),
        timeout: this.options.callTimeoutMs,
        resetTimeoutOnProgress: true,
        maxTotalTimeout: this.options.callMaxTimeoutMs
      });
      try {
        return await call();
      } catch (e) {
        if (!isUrlElicitationRequired(e)) {
          throw e;
        }
        // The server needs a step in the browser first; after it, the call is made once more.
        await this.completeUrlElicitations(name, e.data, options.signal);
        try {
          return await call();
        } catch (again) {
          throw isUrlElicitationRequired(again)
            ? new ProtocolError(`The MCP server still needs the step in the browser before ${name} can run. Finish it there, then ask again.`, { cause: again })
            : again;
        }
      }
    }, name);
    return result as CallToolResult;
  }

  /**
   * Shows each URL elicitation a -32042 error carries (through the same handler as a
   * server's elicitation request: consent first, the full URL shown), then waits for the
   * server's notifications/elicitation/complete. Servers need not send it (server-everything
   * does not), so after the call's no-progress timeout the call is simply tried again.
   */
  private async completeUrlElicitations(tool: string, data: unknown, signal?: AbortSignal): Promise<void> {
    const list = (data as { elicitations?: unknown } | undefined)?.elicitations;
    const elicitations = Array.isArray(list) ? list.filter(isUrlElicitation) : [];
    const handler = this.options.elicitation;
    if (!elicitations.length || !handler) {
      throw new ProtocolError(`The MCP server needs a step in the browser before ${tool} can run (URL elicitation), and ${elicitations.length ? 'this session cannot show it' : 'it did not say which page'}.`);
    }
    for (const elicitation of elicitations) {
      const completed = this.completion(elicitation.elicitationId, signal);
      const abort = new AbortController();
      const forward = () => abort.abort();
      signal?.addEventListener('abort', forward, { once: true });
      try {
        const answer = await handler({ ...elicitation }, abort.signal);
        if (answer.action !== 'accept') {
          throw new DeclinedByUserError(`The server's page for ${tool} was not opened (${answer.action}), so the tool was not called again.`);
        }
        await completed.promise;
      } finally {
        completed.cancel();
        signal?.removeEventListener('abort', forward);
      }
    }
  }

  /** Resolves on the server's notifications/elicitation/complete with this id, or after the no-progress timeout. */
  private completion(elicitationId: string, signal?: AbortSignal): { promise: Promise<void>; cancel: () => void } {
    let cancel = () => undefined as void;
    const promise = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cancel();
        this.log.info(`no confirmation of the browser step within ${this.options.callTimeoutMs} ms; calling again`);
        resolve();
      }, this.options.callTimeoutMs);
      const onAbort = () => {
        cancel();
        reject(new DeclinedByUserError('The call was cancelled while waiting for the step in the browser.'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.completions.set(elicitationId, () => {
        cancel();
        resolve();
      });
      cancel = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.completions.delete(elicitationId);
      };
    });
    // Nobody may wait on it (a declined step): a rejection then is not an error.
    promise.catch(() => undefined);
    return { promise, cancel };
  }

  async close(): Promise<void> {
    this.setState('closed');
    const client = this.client;
    this.client = undefined;
    this.toolCache = undefined;
    await client?.close().catch(() => undefined);
  }

  /** Drops the connection so the next use connects again (settings or sign-in changed). */
  async reset(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.toolCache = undefined;
    this.setState('disconnected');
    await client?.close().catch(() => undefined);
  }

  /**
   * Runs `op`; when the server has forgotten our session, the session is re-initialized
   * once and `op` retried. The server never ran the first attempt in that case, so
   * nothing runs twice. No sign-in prompt either way.
   */
  private async withSessionRecovery<T>(op: (client: Client) => Promise<T>, tool?: string): Promise<T> {
    const client = await this.connect();
    try {
      return await op(client);
    } catch (e) {
      if (!isSessionGone(e, client)) {
        throw this.translate(e, tool, client);
      }
      this.log.info('the server no longer knows this session; initializing a new one');
      if (this.client === client) {
        this.client = undefined;
        this.toolCache = undefined;
        await client.close().catch(() => undefined);
      }
      const fresh = await this.connect();
      try {
        return await op(fresh);
      } catch (again) {
        throw this.translate(again, tool, fresh);
      }
    }
  }

  private async connectWithRetry(): Promise<Client> {
    const r = this.options.reconnect ?? { attempts: 4, initialDelayMs: 500, maxDelayMs: 8000 };
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>(res => setTimeout(res, ms)));
    this.setState('connecting');
    let lastError: unknown;
    for (let attempt = 1; attempt <= r.attempts; attempt++) {
      try {
        const client = await this.connectOnce();
        this.client = client;
        this.setState('connected');
        return client;
      } catch (e) {
        lastError = e;
        if (!isTransient(e)) {
          const error = this.translate(e);
          this.setState('failed', error);
          throw error;
        }
        if (attempt < r.attempts) {
          // F10: the server's Retry-After (on a 503 or 429) when it asks for longer, within the bound.
          const backoff = r.initialDelayMs * 2 ** (attempt - 1);
          const delay = Math.min(r.maxDelayMs, Math.max(backoff, this.retryAfter ?? 0));
          this.retryAfter = undefined;
          this.log.warn(`cannot reach ${this.options.serverUrl.origin} (attempt ${attempt}/${r.attempts}): ${this.describe(e)}; retrying in ${delay} ms`);
          await sleep(delay);
        }
      }
    }
    const error = maskError(new ServerUnreachableError(`Cannot reach the MCP server at ${this.options.serverUrl.href} after ${r.attempts} attempts (${this.describe(lastError)}). Check that it is running and the URL is right, then reconnect.`, { cause: lastError }), this.redact);
    this.setState('failed', error);
    throw error;
  }

  private async connectOnce(): Promise<Client> {
    const url = this.options.serverUrl;
    // A JSON-RPC error in a refused initialize means the server speaks MCP, only not as we
    // asked (another protocol revision, say): that is said as such, and no other transport is tried.
    let refused: JsonRpcErrorBody | undefined;
    const observing: FetchLike = async (input, init) => {
      const response = await this.fetch(input, init);
      if (response.status === 503 || response.status === 429) {
        this.retryAfter = retryAfterMs(response.headers);
      }
      if (!response.ok && (init?.method ?? 'GET').toUpperCase() === 'POST' && (response.headers.get('content-type') ?? '').toLowerCase().includes('application/json')) {
        refused = await jsonRpcErrorOf(response.clone());
      }
      return response;
    };
    const streamable = new StreamableHTTPClientTransport(url, {
      fetch: observing,
      reconnectionOptions: { initialReconnectionDelay: 1000, maxReconnectionDelay: 30_000, reconnectionDelayGrowFactor: 1.5, maxRetries: 3 }
    });
    try {
      const client = await this.initialize(streamable);
      this.transportKind = 'streamable-http';
      return client;
    } catch (e) {
      if (refused) {
        throw this.refusedInitialize(refused, e);
      }
      if (!(e instanceof StreamableHTTPError && e.code !== undefined && FALLBACK_STATUSES.has(e.code))) {
        throw e;
      }
      this.log.info(`the server answered ${e.code} to the initialize POST; trying the legacy SSE transport`);
    }
    const sse = new SSEClientTransport(url, { fetch: this.fetch });
    const client = await this.initialize(sse);
    this.transportKind = 'sse';
    return client;
  }

  private refusedInitialize(refused: JsonRpcErrorBody, cause: unknown): ProtocolError {
    const said = this.redact(refused.message).replace(/\s+/g, ' ').slice(0, 200);
    const newer = refused.code === PROTOCOL_HEADER_MISMATCH || refused.code === UNSUPPORTED_PROTOCOL_VERSION;
    const hint = newer
      ? ' It appears to speak only a newer revision of MCP (such as 2026-07-28), which this version of Secure MCP does not speak yet.'
      : '';
    return new ProtocolError(`The MCP server at ${this.options.serverUrl.href} refused to start an MCP ${LATEST_PROTOCOL_VERSION} session: JSON-RPC error ${refused.code} (${said}).${hint}`, { cause });
  }

  private async initialize(transport: Transport): Promise<Client> {
    const client = new Client(
      { name: this.options.clientInfo.name, version: this.options.clientInfo.version },
      { capabilities: this.options.elicitation ? { elicitation: { form: {}, url: {} } } : {} }
    );
    client.onerror = e => this.log.debug(`transport: ${this.describe(e)}`);
    client.onclose = () => {
      this.closedClients.add(client);
      if (this.client === client) {
        this.client = undefined;
        this.toolCache = undefined;
        if (this.stateValue === 'connected') {
          this.setState('disconnected');
        }
      }
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      this.toolCache = undefined;
      try {
        const tools = await this.listTools();
        this.log.info(`tool list changed: ${tools.length} tools`);
        this.options.onToolsChanged?.(tools);
      } catch (e) {
        this.log.warn(`could not refresh the tool list: ${this.describe(e)}`);
      }
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, n => {
      const { level, logger, data } = n.params;
      const text = this.redact(`server${logger ? `/${logger}` : ''}: ${typeof data === 'string' ? data : JSON.stringify(data)}`).slice(0, 2000);
      if (level === 'debug') {
        this.log.debug(text);
      } else if (level === 'info' || level === 'notice') {
        this.log.info(text);
      } else if (level === 'warning') {
        this.log.warn(text);
      } else {
        this.log.error(text);
      }
    });
    const elicitation = this.options.elicitation;
    if (elicitation) {
      client.setRequestHandler(ElicitRequestSchema, (request, extra) => elicitation(request.params, extra.signal));
      client.setNotificationHandler(ElicitationCompleteNotificationSchema, n => this.completions.get(n.params.elicitationId)?.());
    }
    try {
      await client.connect(transport, { timeout: this.options.connectTimeoutMs });
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
    const v = client.getServerVersion();
    this.log.info(`connected to ${this.options.serverUrl.href} (${v?.name ?? '?'} ${v?.version ?? ''}) over ${transport instanceof SSEClientTransport ? 'legacy SSE' : 'Streamable HTTP'}`);
    return client;
  }

  /**
   * Every error the session hands out passes here: typed, and masked down its causes.
   * `tool`: the call's tool, if any; `client`: the client the request went through.
   */
  private translate(e: unknown, tool?: string, client?: Client): Error {
    return maskError(this.classify(e, tool, client), this.redact);
  }

  private classify(e: unknown, tool?: string, client?: Client): Error {
    if (e instanceof SecureMcpError) {
      return e;
    }
    if (e instanceof McpError && client && this.sentByServer(e, client)) {
      return new ProtocolError(`The MCP server answered with JSON-RPC error ${e.code}: ${this.describe(e).replace(/^MCP error -?\d+: /, '')}`, { cause: e });
    }
    if (e instanceof McpError && OUTPUT_SCHEMA_VIOLATION.test(e.message)) {
      const detail = this.describe(e).replace(/^MCP error -?\d+: (Structured content does not match the tool's output schema: )?/, '');
      return new ProtocolError(`The result of ${tool ?? 'the tool'} does not match the tool's output schema, so it was not used: ${detail}.`, { cause: e });
    }
    if (e instanceof McpError && (e.data as { reason?: unknown } | undefined)?.reason === RESULT_TOO_LARGE) {
      return new ProtocolError(e.message.replace(/^MCP error -?\d+: /, ''), { cause: e });
    }
    if (e instanceof McpError && e.code === ErrorCode.RequestTimeout) {
      return new ServerUnreachableError(`The MCP server did not answer in time: ${e.message}`, { cause: e });
    }
    if (e instanceof StreamableHTTPError && (e.code === undefined || e.code < 100)) {
      // Not an HTTP status: the SDK could not read the answer (an HTML page from a proxy, say).
      return new ProtocolError(`The MCP server's answer is not MCP: ${this.describe(e)}. Check the server URL, and any proxy in between.`, { cause: e });
    }
    if (e instanceof StreamableHTTPError) {
      return new ProtocolError(`The MCP server answered with an error (HTTP ${e.code}).`, { cause: e });
    }
    if (isTransient(e)) {
      return new ServerUnreachableError(`Cannot reach the MCP server at ${this.options.serverUrl.href} (${this.describe(e)}).`, { cause: e });
    }
    return e instanceof Error ? e : new ProtocolError(String(e));
  }

  /**
   * The SDK reports its own timeout and a closed connection with JSON-RPC codes -32001 and
   * -32000, which servers use for their own errors too. Its timeout carries the limit in
   * `data`; a closed connection closed the client first. Anything else with those codes
   * came from the server.
   */
  private sentByServer(e: McpError, client: Client): boolean {
    if (e.code === ErrorCode.RequestTimeout) {
      const data = e.data as { timeout?: unknown; maxTotalTimeout?: unknown } | undefined;
      return typeof data?.timeout !== 'number' && typeof data?.maxTotalTimeout !== 'number';
    }
    if (e.code === ErrorCode.ConnectionClosed) {
      return !this.closedClients.has(client);
    }
    return false;
  }

  /** `describe()` masked, without markup, and capped: it may quote a whole error page the server chose. */
  private describe(e: unknown): string {
    return this.redact(describe(e)).replace(/<\/?[a-z!][^>]*>/gi, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_DESCRIBED);
  }

  private setState(state: SessionState, error?: Error): void {
    if (this.stateValue === 'closed') {
      return;
    }
    this.stateValue = state;
    this.options.onStateChange?.(state, error);
  }
}

/**
 * The spec's answer to an unknown session id is 404; servers built on older SDK examples
 * (server-everything among them) answer 400. Either status refuses the request before
 * running it, so while we hold a session id both mean: initialize again, then retry.
 */
interface JsonRpcErrorBody {
  readonly code: number;
  readonly message: string;
}

/** The JSON-RPC error in a response body, reading at most MAX_ERROR_BODY bytes of it. */
async function jsonRpcErrorOf(response: Response): Promise<JsonRpcErrorBody | undefined> {
  const reader = response.body?.getReader();
  if (!reader) {
    return undefined;
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      parts.push(r.value);
      size += r.value.byteLength;
      if (size > MAX_ERROR_BODY) {
        return undefined;
      }
    }
  } catch {
    return undefined;
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  try {
    const body = JSON.parse(new TextDecoder().decode(Buffer.concat(parts))) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    return typeof code === 'number' && typeof message === 'string' ? { code, message } : undefined;
  } catch {
    return undefined;
  }
}

function isUrlElicitationRequired(e: unknown): e is McpError {
  return e instanceof McpError && e.code === ErrorCode.UrlElicitationRequired;
}

interface UrlElicitation {
  readonly mode: 'url';
  readonly message: string;
  readonly url: string;
  readonly elicitationId: string;
}

function isUrlElicitation(v: unknown): v is UrlElicitation {
  const e = v as Partial<UrlElicitation> | null;
  return typeof e === 'object' && e !== null && e.mode === 'url' && typeof e.message === 'string' && typeof e.url === 'string' && typeof e.elicitationId === 'string';
}

function isSessionGone(e: unknown, client: Client): boolean {
  if (!(e instanceof StreamableHTTPError)) {
    return false;
  }
  const heldSession = client.transport instanceof StreamableHTTPClientTransport && client.transport.sessionId !== undefined;
  return e.code === 404 || (e.code === 400 && heldSession);
}

/** Network failures and 5xx/429 answers are worth retrying; auth and protocol errors are not. */
function isTransient(e: unknown): boolean {
  if (e instanceof AuthRequiredError || e instanceof InsufficientScopeError || e instanceof ProtocolError) {
    return false;
  }
  if (e instanceof StreamableHTTPError) {
    return e.code !== undefined && (e.code >= 500 || e.code === 429);
  }
  if (e instanceof McpError && e.code === ErrorCode.ConnectionClosed) {
    return true;
  }
  const text = describe(e);
  return /fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket hang up|other side closed|SSE error/i.test(text);
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const code = cause && typeof cause === 'object' && 'code' in cause ? ` ${String((cause as { code: unknown }).code)}` : '';
    // The status first: what follows is the server's body, and may be cut.
    const status = e instanceof StreamableHTTPError && e.code !== undefined && e.code > 0 ? `HTTP ${e.code}: ` : '';
    return `${status}${e.message}${code}`;
  }
  return String(e);
}
