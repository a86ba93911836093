import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AuthRequiredError, InsufficientScopeError, ProtocolError, SecureMcpError, ServerUnreachableError } from '../../common/errors';
import { maskError } from '../../common/log';
import { readAtMost } from '../http/body';
import { RESULT_TOO_LARGE } from './limits';

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
// Characters of an error's own text quoted in a message; an HTML error page can be far longer.
const MAX_DESCRIBED = 300;

export interface JsonRpcErrorBody {
  readonly code: number;
  readonly message: string;
}

/**
 * Turns whatever one session's requests fail with into the product's typed errors,
 * masked down their causes, with the server's own text quoted only masked and capped.
 */
export class SessionErrors {
  /** Clients whose connection closed: a -32000 on them is the SDK's own "connection closed". */
  readonly closedClients = new WeakSet<Client>();

  constructor(private readonly serverUrl: URL, private readonly redact: (text: string) => string) {}

  /** `tool`: the call's tool, if any; `client`: the client the request went through. */
  translate(e: unknown, tool?: string, client?: Client): Error {
    return maskError(this.classify(e, tool, client), this.redact);
  }

  /** `describe()` masked, without markup, and capped: it may quote a whole error page the server chose. */
  describe(e: unknown): string {
    return this.redact(describe(e)).replace(/<\/?[a-z!][^>]*>/gi, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_DESCRIBED);
  }

  /** A refused initialize whose body is a JSON-RPC error: the server speaks MCP, only not as asked. */
  refusedInitialize(refused: JsonRpcErrorBody, cause: unknown): ProtocolError {
    const said = this.redact(refused.message).replace(/\s+/g, ' ').slice(0, 200);
    const newer = refused.code === PROTOCOL_HEADER_MISMATCH || refused.code === UNSUPPORTED_PROTOCOL_VERSION;
    const hint = newer
      ? ' It appears to speak only a newer revision of MCP (such as 2026-07-28), which this version of Secure MCP does not speak yet.'
      : '';
    return new ProtocolError(`The MCP server at ${this.serverUrl.href} refused to start an MCP ${LATEST_PROTOCOL_VERSION} session: JSON-RPC error ${refused.code} (${said}).${hint}`, { cause });
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
      return new ServerUnreachableError(`Cannot reach the MCP server at ${this.serverUrl.href} (${this.describe(e)}).`, { cause: e });
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
}

/** The JSON-RPC error in a response body, reading at most MAX_ERROR_BODY bytes of it. */
export async function jsonRpcErrorOf(response: Response): Promise<JsonRpcErrorBody | undefined> {
  try {
    const bytes = await readAtMost(response, MAX_ERROR_BODY);
    const body = bytes ? JSON.parse(new TextDecoder().decode(bytes)) as { error?: { code?: unknown; message?: unknown } } : undefined;
    const { code, message } = body?.error ?? {};
    return typeof code === 'number' && typeof message === 'string' ? { code, message } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The spec's answer to an unknown session id is 404; servers built on older SDK examples
 * (server-everything among them) answer 400. Either status refuses the request before
 * running it, so while we hold a session id both mean: initialize again, then retry.
 */
export function isSessionGone(e: unknown, client: Client): boolean {
  if (!(e instanceof StreamableHTTPError)) {
    return false;
  }
  const heldSession = client.transport instanceof StreamableHTTPClientTransport && client.transport.sessionId !== undefined;
  return e.code === 404 || (e.code === 400 && heldSession);
}

/** Network failures and 5xx/429 answers are worth retrying; auth and protocol errors are not. */
export function isTransient(e: unknown): boolean {
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
