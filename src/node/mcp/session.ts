import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolResultSchema,
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type Progress,
  type Tool
} from '@modelcontextprotocol/sdk/types.js';
import type { AuthFetch, FetchLike } from '../auth/authFetch';
import { ProtocolError, SecureMcpError, ServerUnreachableError } from '../../common/errors';
import { mask, maskError, scoped, type Logger } from '../../common/log';
import { retryAfterMs } from '../../common/retryAfter';
import { isUrlElicitationRequired, UrlElicitationSteps, type ElicitationHandler } from './elicitation';
import { isSessionGone, isTransient, jsonRpcErrorOf, SessionErrors, type JsonRpcErrorBody } from './errors';
import { limitResponseBytes } from './limits';

export type { CallToolResult, Tool };
export type SessionState = 'disconnected' | 'connecting' | 'connected' | 'failed' | 'closed';

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
const DEFAULT_MAX_TOOLS = 10_000;
const DEFAULT_MAX_LIST_BYTES = 16 * 1_048_576;

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
  private readonly errors: SessionErrors;
  private readonly urlSteps: UrlElicitationSteps;

  constructor(private readonly options: McpSessionOptions) {
    this.log = scoped(options.logger, 'mcp');
    this.fetch = limitResponseBytes(options.fetch, { maxBytes: options.maxResultBytes, maxListBytes: options.maxListBytes ?? DEFAULT_MAX_LIST_BYTES });
    const own = (options.fetch as Partial<AuthFetch>).redact;
    this.redact = options.redact ?? (typeof own === 'function' ? own : text => mask(text));
    this.errors = new SessionErrors(options.serverUrl, this.redact);
    this.urlSteps = new UrlElicitationSteps(options.elicitation, options.callTimeoutMs, this.log);
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
        await this.urlSteps.run(name, e.data, options.signal);
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
        throw this.errors.translate(e, tool, client);
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
        throw this.errors.translate(again, tool, fresh);
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
          const error = this.errors.translate(e);
          this.setState('failed', error);
          throw error;
        }
        if (attempt < r.attempts) {
          // F10: the server's Retry-After (on a 503 or 429) when it asks for longer, within the bound.
          const backoff = r.initialDelayMs * 2 ** (attempt - 1);
          const delay = Math.min(r.maxDelayMs, Math.max(backoff, this.retryAfter ?? 0));
          this.retryAfter = undefined;
          this.log.warn(`cannot reach ${this.options.serverUrl.origin} (attempt ${attempt}/${r.attempts}): ${this.errors.describe(e)}; retrying in ${delay} ms`);
          await sleep(delay);
        }
      }
    }
    const error = maskError(new ServerUnreachableError(`Cannot reach the MCP server at ${this.options.serverUrl.href} after ${r.attempts} attempts (${this.errors.describe(lastError)}). Check that it is running and the URL is right, then reconnect.`, { cause: lastError }), this.redact);
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
        throw this.errors.refusedInitialize(refused, e);
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

  private async initialize(transport: Transport): Promise<Client> {
    const client = new Client(
      { name: this.options.clientInfo.name, version: this.options.clientInfo.version },
      { capabilities: this.options.elicitation ? { elicitation: { form: {}, url: {} } } : {} }
    );
    client.onerror = e => this.log.debug(`transport: ${this.errors.describe(e)}`);
    client.onclose = () => {
      this.errors.closedClients.add(client);
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
        this.log.warn(`could not refresh the tool list: ${this.errors.describe(e)}`);
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
      client.setNotificationHandler(ElicitationCompleteNotificationSchema, n => this.urlSteps.completed(n.params.elicitationId));
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

  private setState(state: SessionState, error?: Error): void {
    if (this.stateValue === 'closed') {
      return;
    }
    this.stateValue = state;
    this.options.onStateChange?.(state, error);
  }
}
