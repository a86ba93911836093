import {
  Client,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SSEClientTransport,
  type CallToolResult,
  type PriorDiscovery,
  type Progress,
  type Tool,
  type Transport
} from '@modelcontextprotocol/client';
import type { AuthFetch, FetchLike } from '../auth/authFetch';
import { ProtocolError, SecureMcpError, ServerUnreachableError } from '../../common/errors';
import { mask, maskError, scoped, type Logger } from '../../common/log';
import { retryAfterMs } from '../../common/retryAfter';
import { isUrlElicitationRequired, UrlElicitationSteps, type ElicitationHandler } from './elicitation';
import { isSessionGone, isTransient, jsonRpcErrorOf, SessionErrors, type JsonRpcErrorBody } from './errors';
import { negotiationMode, type ProtocolSetting } from './protocol';
import { limitResponseBytes } from './limits';
import { AnsweringTransport } from './transport';

export type { CallToolResult, Tool };
export type { ProtocolSetting };
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
  /**
   * Which MCP revision to speak: `auto` asks the server (`server/discover`) and falls back
   * to the 2025-11-25 `initialize`; a version pins it. Default `auto`.
   */
  readonly protocol?: ProtocolSetting;
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

/** What the connection speaks, once connected. */
export interface ConnectionInfo {
  /** The negotiated MCP revision, e.g. `2026-07-28`. */
  readonly protocolVersion: string;
  readonly transport: 'streamable-http' | 'sse';
  readonly server: { readonly name: string; readonly version: string } | undefined;
}

/**
 * One MCP connection at either MCP generation: 2026-07-28 (stateless, negotiated with
 * `server/discover`) or 2025-11-25 (`initialize`, a session, with the legacy SSE transport
 * as fallback); bounded reconnects; a tool list cache kept fresh by list-changed
 * notifications and the server's `ttlMs`; and tool calls with progress, cancellation,
 * timeouts and a byte cap.
 */
export class McpSession {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private toolCache: { readonly tools: Tool[]; readonly byName: Map<string, Tool>; readonly expiresAt: number } | undefined;
  private stateValue: SessionState = 'disconnected';
  private readonly log: Logger;
  private readonly fetch: FetchLike;
  private readonly redact: (text: string) => string;
  transportKind: 'streamable-http' | 'sse' | undefined;
  /** The era the server chose last time, so a reconnect need not ask again. */
  private prior: PriorDiscovery | undefined;
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

  /** The negotiated protocol and transport, while connected. */
  get connection(): ConnectionInfo | undefined {
    const client = this.client;
    const protocolVersion = client?.getNegotiatedProtocolVersion();
    if (!client || !protocolVersion || !this.transportKind) {
      return undefined;
    }
    return { protocolVersion, transport: this.transportKind, server: client.getServerVersion() };
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
    return (await this.withSessionRecovery(client => this.cachedTools(client, signal), undefined, signal)).tools;
  }

  /**
   * The tool list from the cache: while the server's `ttlMs` has not run out (2026-07-28
   * servers give one, often 0), else until a list-changed notification. `anyAge`: a call
   * uses the definitions last listed (those the user approved) however old, so a
   * `ttlMs` of 0 costs one `tools/list` per turn, not one per call.
   */
  private async cachedTools(client: Client, signal?: AbortSignal, anyAge = false): Promise<NonNullable<McpSession['toolCache']>> {
    if (this.toolCache && (anyAge || Date.now() < this.toolCache.expiresAt)) {
      return this.toolCache;
    }
    const { tools, ttlMs } = await this.listAll(client, signal);
    const cache = { tools, byName: new Map(tools.map(t => [t.name, t])), expiresAt: ttlMs === undefined ? Infinity : Date.now() + ttlMs };
    if (this.client === client) {
      this.toolCache = cache;
    }
    return cache;
  }

  /**
   * Every page of the tool list from `client`, walked by the SDK within a page bound, so a
   * list that never ends is an error, never a silent cut. A tool whose `x-mcp-header`
   * annotations are invalid is dropped by the SDK on the 2026-07-28 wire (it could not be
   * called correctly). `ttlMs`: the cache lifetime the server gave, if any.
   */
  private async listAll(client: Client, signal?: AbortSignal): Promise<{ tools: Tool[]; ttlMs: number | undefined }> {
    if (!client.getServerCapabilities()?.tools) {
      this.log.info('the server does not declare the tools capability; it offers no tools');
      return { tools: [], ttlMs: undefined };
    }
    const max = this.maxTools;
    const tooMany = (why: string, cause?: unknown) => new ProtocolError(`The MCP server lists more than ${max} tools (${why}); none were taken. Raise secureMcp.limits.maxTools if the server really offers that many.`, { cause });
    let listed;
    try {
      listed = await client.listTools(undefined, { ...(signal ? { signal } : {}), timeout: this.options.connectTimeoutMs, cacheMode: 'bypass' });
    } catch (e) {
      throw e instanceof SdkError && e.code === SdkErrorCode.ListPaginationExceeded ? tooMany(`its pages never end: more than ${max}`, e) : e;
    }
    if (listed.tools.length > max) {
      throw tooMany(`${listed.tools.length}`);
    }
    const ttl = (listed as { ttlMs?: unknown }).ttlMs;
    return { tools: listed.tools, ttlMs: typeof ttl === 'number' && Number.isFinite(ttl) ? Math.max(0, ttl) : undefined };
  }

  private get maxTools(): number {
    return this.options.maxTools ?? DEFAULT_MAX_TOOLS;
  }

  async callTool(name: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<CallToolResult> {
    return this.withSessionRecovery(async client => {
      if (!client.getServerCapabilities()?.tools) {
        throw new ProtocolError(`The MCP server offers no tools (it does not declare the tools capability), so ${name} cannot be called.`);
      }
      // The listed definition drives the SDK's output-schema check (docs/security.md E5) and,
      // on 2026-07-28, the Mcp-Param-* headers it mirrors from the arguments.
      const definition = (await this.cachedTools(client, options.signal, true)).byName.get(name);
      const call = () => client.callTool({ name, arguments: args }, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onprogress: options.onProgress } : {}),
        ...(definition ? { toolDefinition: definition } : {}),
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
    }, name, options.signal);
  }

  async close(): Promise<void> {
    this.setState('closed');
    await this.drop();
  }

  /** Drops the connection so the next use connects again (settings or sign-in changed), and asks the server its protocol again. */
  async reset(): Promise<void> {
    this.prior = undefined;
    this.setState('disconnected');
    await this.drop();
  }

  private async drop(client = this.client): Promise<void> {
    if (this.client === client) {
      this.client = undefined;
      this.toolCache = undefined;
    }
    await client?.close().catch(() => undefined);
  }

  /**
   * Runs `op`; when the server has forgotten our 2025-11-25 session, a new one is started
   * once and `op` retried. The server never ran the first attempt in that case, so
   * nothing runs twice. No sign-in prompt either way.
   */
  private async withSessionRecovery<T>(op: (client: Client) => Promise<T>, tool?: string, signal?: AbortSignal): Promise<T> {
    const client = await this.connect();
    try {
      return await op(client);
    } catch (e) {
      if (!isSessionGone(e, client)) {
        throw this.errors.translate(e, tool, signal);
      }
      this.log.info('the server no longer knows this session; initializing a new one');
      await this.drop(client);
      const fresh = await this.connect();
      try {
        return await op(fresh);
      } catch (again) {
        throw this.errors.translate(again, tool, signal);
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
    const setting = this.options.protocol ?? 'auto';
    // A JSON-RPC error in a refused handshake means the server speaks MCP, only not as we
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
    const streamable = new AnsweringTransport(url, {
      fetch: observing,
      reconnectionOptions: { initialReconnectionDelay: 1000, maxReconnectionDelay: 30_000, reconnectionDelayGrowFactor: 1.5, maxRetries: 3 }
    });
    try {
      const client = await this.handshake(streamable, setting);
      this.transportKind = 'streamable-http';
      return client;
    } catch (e) {
      this.prior = undefined;
      if (refused) {
        throw this.errors.refusedHandshake(refused, setting, e);
      }
      // Only a 2025-11-25 server may offer the legacy transport.
      if (setting === '2026-07-28' || !(e instanceof SdkHttpError && FALLBACK_STATUSES.has(e.status))) {
        throw e;
      }
      this.log.info(`the server answered ${e.status} to the handshake POST; trying the legacy SSE transport`);
    }
    const sse = new SSEClientTransport(url, { fetch: this.fetch });
    const client = await this.handshake(sse, '2025-11-25');
    this.transportKind = 'sse';
    return client;
  }

  private async handshake(transport: Transport, setting: ProtocolSetting): Promise<Client> {
    const elicitation = this.options.elicitation;
    const client = new Client(
      { name: this.options.clientInfo.name, version: this.options.clientInfo.version },
      {
        capabilities: elicitation ? { elicitation: { form: {}, url: {} } } : {},
        versionNegotiation: { mode: negotiationMode(setting) },
        // One mechanism at both wires: unsolicited notifications on 2025-11-25, a
        // subscriptions/listen stream the SDK opens on 2026-07-28.
        // At least one tool per page: more pages than tools allowed means the list never ends.
        listMaxPages: this.maxTools,
        listChanged: { tools: { autoRefresh: false, debounceMs: 0, onChanged: () => void this.toolsChanged(client) } }
      }
    );
    client.onerror = e => this.log.debug(`transport: ${this.errors.describe(e)}`);
    client.onclose = () => {
      if (this.client === client) {
        this.client = undefined;
        this.toolCache = undefined;
        if (this.stateValue === 'connected') {
          this.setState('disconnected');
        }
      }
    };
    client.setNotificationHandler('notifications/message', n => {
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
    if (elicitation) {
      // On 2026-07-28 the SDK answers a result's input_required through this same handler,
      // then retries the call with the answers and the server's requestState.
      client.setRequestHandler('elicitation/create', (request, ctx) => elicitation(request.params, ctx.mcpReq.signal));
      client.setNotificationHandler('notifications/elicitation/complete', n => this.urlSteps.completed(n.params.elicitationId));
    }
    const prior = transport instanceof SSEClientTransport ? undefined : this.prior;
    try {
      await client.connect(transport, { timeout: this.options.connectTimeoutMs, ...(prior ? { prior } : {}) });
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
    const discover = client.getDiscoverResult();
    this.prior = client.getProtocolEra() === 'modern' && discover ? { kind: 'modern', discover } : { kind: 'legacy' };
    const v = client.getServerVersion();
    this.log.info(`connected to ${this.options.serverUrl.href} (${v?.name ?? '?'} ${v?.version ?? ''}) with MCP ${client.getNegotiatedProtocolVersion() ?? '?'} over ${transport instanceof SSEClientTransport ? 'legacy SSE' : 'Streamable HTTP'}`);
    return client;
  }

  private async toolsChanged(client: Client): Promise<void> {
    if (this.client !== client) {
      return;
    }
    this.toolCache = undefined;
    try {
      const tools = await this.listTools();
      this.log.info(`tool list changed: ${tools.length} tools`);
      this.options.onToolsChanged?.(tools);
    } catch (e) {
      this.log.warn(`could not refresh the tool list: ${this.errors.describe(e)}`);
    }
  }

  private setState(state: SessionState, error?: Error): void {
    if (this.stateValue === 'closed') {
      return;
    }
    this.stateValue = state;
    this.options.onStateChange?.(state, error);
  }
}
