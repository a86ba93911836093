import {
  ProtocolError as McpProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SseError,
  StreamableHTTPClientTransport,
  UnsupportedProtocolVersionError,
  type Client
} from '@modelcontextprotocol/client';
import { CancelledError, causeChain, ProtocolError, SecureMcpError, ServerUnreachableError } from '../../common/errors';
import { maskError } from '../../common/log';
import { PROTOCOL_VERSIONS, type ProtocolSetting } from '../../common/protocol';
import { readAtMost } from '../http/body';
import { RESULT_TOO_LARGE } from './limits';
import { STREAM_LOST } from './transport';

/** MCP 2026-07-28's answer to a request whose headers disagree with its body. */
const HEADER_MISMATCH = -32020;
/** Bytes of a refused request's body read to find its JSON-RPC error. */
const MAX_ERROR_BODY = 64 * 1024;
/**
 * The SDK's Client checks a result's `structuredContent` against the tool's `outputSchema`
 * (docs/security.md E5) and throws a ProtocolError with codes a server's own JSON-RPC errors
 * use too; it is thrown before anything reaches the wire only for a broken schema, after the
 * answer otherwise, so only the SDK's wording tells its check apart.
 */
const OUTPUT_SCHEMA_VIOLATION = /^(Structured content does not match the tool's output schema|Tool .* has an output schema but did not return structured content|Failed to validate structured content|Tool '.*' has an invalid outputSchema)/;
// Characters of an error's own text quoted in a message; an HTML error page can be far longer.
const MAX_DESCRIBED = 300;
/** Error codes of a request that never reached the server, or whose connection failed under it. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface JsonRpcErrorBody {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/**
 * Turns whatever one session's requests fail with into the product's typed errors,
 * masked down their causes, with the server's own text quoted only masked and capped.
 * The SDK keeps its own failures (`SdkError`: timeout, closed connection, HTTP status) apart
 * from the server's JSON-RPC errors (`ProtocolError`), so they are told apart by type.
 */
export class SessionErrors {
  constructor(private readonly serverUrl: URL, private readonly redact: (text: string) => string) {}

  /** `tool`: the call's tool, if any; `signal`: the caller's, whose abort is the user's own cancel. */
  translate(e: unknown, tool?: string, signal?: AbortSignal): Error {
    return maskError(this.classify(e, tool, signal), this.redact);
  }

  /** `describe()` masked, without markup, and capped: it may quote a whole error page the server chose. */
  describe(e: unknown): string {
    return this.redact(describe(e)).replace(/<\/?[a-z!][^>]*>/gi, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_DESCRIBED);
  }

  /** A refused handshake whose body is a JSON-RPC error: the server speaks MCP, only not as asked. */
  refusedHandshake(refused: JsonRpcErrorBody, setting: ProtocolSetting, cause: unknown): ProtocolError {
    const offered = setting === 'auto' ? PROTOCOL_VERSIONS.join(' or ') : setting;
    const said = this.redact(refused.message).replace(/\s+/g, ' ').slice(0, 200);
    const supported = supportedVersions(refused.data);
    const versions = supported ? ` It speaks ${supported.join(', ')}; this client offered ${offered}.` : '';
    // A pinned revision the server may not speak, or a refusal that says as much.
    const hint = setting !== 'auto' || refused.code === ProtocolErrorCode.UnsupportedProtocolVersion || refused.code === HEADER_MISMATCH
      ? ' Set secureMcp.protocol.version to "auto" (or to a version the server speaks), then reconnect.'
      : '';
    return new ProtocolError(`The MCP server at ${this.serverUrl.href} refused to start an MCP ${offered} connection: JSON-RPC error ${refused.code} (${said}).${versions}${hint}`, { cause });
  }

  private classify(e: unknown, tool?: string, signal?: AbortSignal): Error {
    // Our own failure (the token source's, say) that the SDK wrapped on its way up.
    const own = ownCause(e);
    if (own) {
      return own;
    }
    if (signal?.aborted) {
      return new CancelledError(`${tool ? `The call to ${tool}` : 'The request'} was cancelled by you.`, { cause: e });
    }
    if (e instanceof UnsupportedProtocolVersionError) {
      const { supported, requested } = e.data as { supported: string[]; requested: string };
      return new ProtocolError(`The MCP server does not speak MCP ${requested}; it speaks ${supported.join(', ')}. Set secureMcp.protocol.version to "auto" or to one of those, then reconnect.`, { cause: e });
    }
    if (e instanceof McpProtocolError) {
      return this.fromJsonRpcError(e, tool);
    }
    if (e instanceof SdkHttpError) {
      return this.fromHttpStatus(e);
    }
    if (e instanceof SdkError) {
      return this.fromSdkError(e);
    }
    if (e instanceof SseError) {
      return new ServerUnreachableError(`The MCP server's event stream failed: ${this.describe(e)}.`, { cause: e });
    }
    if (isNetworkFailure(e)) {
      return new ServerUnreachableError(`Cannot reach the MCP server at ${this.serverUrl.href} (${this.describe(e)}).`, { cause: e });
    }
    return e instanceof Error ? e : new ProtocolError(String(e));
  }

  private fromJsonRpcError(e: McpProtocolError, tool?: string): Error {
    const reason = (e.data as { reason?: unknown } | undefined)?.reason;
    if (reason === RESULT_TOO_LARGE) {
      return new ProtocolError(e.message, { cause: e });
    }
    if (reason === STREAM_LOST) {
      return new ServerUnreachableError(`The connection to the MCP server at ${this.serverUrl.href} closed before it answered${tool ? ` ${tool}` : ''}. The server may have stopped; reconnect and try again.`, { cause: e });
    }
    if (OUTPUT_SCHEMA_VIOLATION.test(e.message)) {
      const detail = this.describe(e).replace(/^Structured content does not match the tool's output schema: /, '');
      return new ProtocolError(`The result of ${tool ?? 'the tool'} does not match the tool's output schema, so it was not used: ${detail}.`, { cause: e });
    }
    return new ProtocolError(`The MCP server answered with JSON-RPC error ${e.code}: ${this.describe(e)}`, { cause: e });
  }

  private fromHttpStatus(e: SdkHttpError): Error {
    if (e.status >= 500 || e.status === 429) {
      return new ServerUnreachableError(`The MCP server at ${this.serverUrl.href} is failing (HTTP ${e.status}).`, { cause: e });
    }
    return new ProtocolError(`The MCP server answered with an error (HTTP ${e.status}).`, { cause: e });
  }

  private fromSdkError(e: SdkError): Error {
    switch (e.code) {
      case SdkErrorCode.RequestTimeout:
        return new ServerUnreachableError(`The MCP server did not answer in time: ${e.message}`, { cause: e });
      case SdkErrorCode.ConnectionClosed:
      case SdkErrorCode.SendFailed:
        return new ServerUnreachableError(`The connection to the MCP server at ${this.serverUrl.href} closed: ${this.describe(e)}.`, { cause: e });
      case SdkErrorCode.ClientHttpUnexpectedContent:
        // Not MCP at all: an HTML page from a proxy, say.
        return new ProtocolError(`The MCP server's answer is not MCP: ${this.describe(e)}. Check the server URL, and any proxy in between.`, { cause: e });
      case SdkErrorCode.EraNegotiationFailed:
        return isNetworkFailure(e)
          ? new ServerUnreachableError(`Cannot reach the MCP server at ${this.serverUrl.href} (${this.describe(e)}).`, { cause: e })
          : new ProtocolError(`Could not agree on an MCP protocol version with ${this.serverUrl.href}: ${this.describe(e)}. Check secureMcp.protocol.version.`, { cause: e });
      case SdkErrorCode.InputRequiredRoundsExceeded:
        return new ProtocolError(`The MCP server kept asking for more input and never answered: ${this.describe(e)}.`, { cause: e });
      default:
        return new ProtocolError(`The MCP client failed: ${this.describe(e)}.`, { cause: e });
    }
  }
}

function ownCause(e: unknown): SecureMcpError | undefined {
  for (const cause of causeChain(e)) {
    if (cause instanceof SecureMcpError) {
      return cause;
    }
  }
  return undefined;
}

function supportedVersions(data: unknown): string[] | undefined {
  const supported = (data as { supported?: unknown } | undefined)?.supported;
  return Array.isArray(supported) && supported.every(v => typeof v === 'string') ? supported.slice(0, 8) : undefined;
}

/** The JSON-RPC error in a response body, reading at most MAX_ERROR_BODY bytes of it. */
export async function jsonRpcErrorOf(response: Response): Promise<JsonRpcErrorBody | undefined> {
  try {
    const bytes = await readAtMost(response, MAX_ERROR_BODY);
    const body = bytes ? JSON.parse(new TextDecoder().decode(bytes)) as { error?: { code?: unknown; message?: unknown; data?: unknown } } : undefined;
    const { code, message, data } = body?.error ?? {};
    return typeof code === 'number' && typeof message === 'string' ? { code, message, data } : undefined;
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
  if (!(e instanceof SdkHttpError)) {
    return false;
  }
  const heldSession = client.transport instanceof StreamableHTTPClientTransport && client.transport.sessionId !== undefined;
  return heldSession && (e.status === 404 || e.status === 400);
}

/** Network failures, closed connections and 5xx/429 answers are worth retrying; auth and protocol errors are not. */
export function isTransient(thrown: unknown): boolean {
  const e = ownCause(thrown) ?? thrown;
  if (e instanceof SecureMcpError) {
    // Our own verdicts: only "unreachable" is worth another attempt; sign-in, scope, protocol,
    // cancel and identity-provider failures are not, whatever network error caused them.
    return e instanceof ServerUnreachableError;
  }
  if (e instanceof SdkHttpError) {
    return e.status >= 500 || e.status === 429;
  }
  if (e instanceof SdkError && (e.code === SdkErrorCode.ConnectionClosed || e.code === SdkErrorCode.SendFailed)) {
    return true;
  }
  return e instanceof SseError || isNetworkFailure(e);
}

/** A failure of the network under a request: a system error code somewhere down the cause chain, or undici's "fetch failed". */
export function isNetworkFailure(e: unknown): boolean {
  for (const cause of causeChain(e)) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) {
      return true;
    }
    if (cause instanceof TypeError && cause.message === 'fetch failed') {
      return true;
    }
  }
  return false;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const code = cause && typeof cause === 'object' && 'code' in cause ? ` ${String((cause as { code: unknown }).code)}` : '';
    // The status first: what follows is the server's body, and may be cut.
    const status = e instanceof SdkHttpError && e.status > 0 ? `HTTP ${e.status}: ` : '';
    return `${status}${e.message}${code}`;
  }
  return String(e);
}
