/**
 * The world MCP server's public contract (what it is started with and what it hands back)
 * and the token rules its options come down to.
 */
import type { JwksOptions } from '../bearer';

export interface SecureMcpServerOptions {
  /** 0 (default) = ephemeral. */
  port?: number;
  /** Exact `iss` to accept. Required unless Entra mode is used. */
  issuer?: string;
  /** JWKS URL; default `<issuer>/jwks` (the world IdP's layout). */
  jwksUri?: string;
  /** Exact `aud` value(s) to accept. Required unless Entra mode is used. */
  audience?: string | string[];
  /** Delegated scope every request needs, e.g. `mcp:tools`. Required. */
  requiredScope?: string;
  /** When set, `tid` must equal it. */
  tenantId?: string;
  /** Entra mode: validate real Entra v2 tokens of this tenant... */
  entraTenantId?: string;
  /** ...issued for this API client id (also accepted as `api://<id>` unless disabled). */
  entraClientId?: string;
  /** Entra mode: also accept `api://<clientId>` as audience. Default true. */
  entraAcceptApiUriAudience?: boolean;
  /** Entra mode: also accept v1 tokens (`https://sts.windows.net/<tid>/`). Default false. */
  entraAllowV1Issuer?: boolean;
  /** `scopes_supported` in the Protected Resource Metadata. Default `[requiredScope]` plus the `toolScopes`. */
  scopesSupported?: string[];
  /**
   * Extra delegated scope a tool needs beyond `requiredScope`, e.g. `{ delete_item: 'mcp:tools.admin' }`.
   * A `tools/call` without it gets 403 `insufficient_scope` naming every scope needed (step-up).
   */
  toolScopes?: Record<string, string>;
  jwks?: JwksOptions;
  /** Default and maximum 300. */
  clockToleranceSeconds?: number;
  /** Milliseconds per "second" of `slow_task`, so tests need not wait in real time. Default 1000. */
  slowTaskTickMs?: number;
  /**
   * Which MCP revisions `/mcp` serves. `dual` (default): 2026-07-28 (stateless, `server/discover`)
   * and the 2025 era (sessionful Streamable HTTP, plus legacy HTTP+SSE at `/sse`). `2026-07-28`:
   * only the new revision; 2025-era requests get the SDK's unsupported-protocol-version error and
   * `/sse` is not served. `2025-11-25`: only the 2025 era, as a server that predates 2026-07-28.
   */
  protocol?: ProtocolMode;
  /** Optional diagnostics sink; never receives tokens. */
  log?: (line: string) => void;
}

export const PROTOCOL_MODES = ['dual', '2026-07-28', '2025-11-25'] as const;
export type ProtocolMode = typeof PROTOCOL_MODES[number];

export function isProtocolMode(value: string): value is ProtocolMode {
  return (PROTOCOL_MODES as readonly string[]).includes(value);
}

/** `streamable-http-2026` is the stateless 2026-07-28 wire: no session, so no `sessionId` either. */
export type TransportKind = 'streamable-http' | 'sse' | 'streamable-http-2026';

export interface ToolCallRecord {
  tool: string;
  args: Record<string, unknown>;
  oid: string;
  tid: string;
  sessionId: string | undefined;
  transport: TransportKind;
  at: Date;
  /** `pending` until the handler returns. */
  outcome: 'pending' | 'ok' | 'error' | 'cancelled';
}

export interface SecureMcpServer {
  /** The revisions served (see `SecureMcpServerOptions.protocol`). */
  protocol: ProtocolMode;
  /** Streamable HTTP endpoint, `http://127.0.0.1:<port>/mcp`; also the PRM `resource`. */
  url: string;
  /** Legacy SSE endpoint (GET), `http://127.0.0.1:<port>/sse`; not served in `2026-07-28` mode. */
  sseUrl: string;
  origin: string;
  /** RFC 9728 metadata URL of `url` (path-inserted). */
  resourceMetadataUrl: string;
  issuers: string[];
  audiences: string[];
  requiredScope: string;
  /** Every tool call that reached a handler, in order. */
  readonly calls: ToolCallRecord[];
  /** Every HTTP request that reached the server (metadata, MCP, SSE), in order, before any check. */
  /** Every request that reached the server, with the issuer of the bearer token it carried (unverified). */
  readonly requests: readonly { readonly method: string; readonly path: string; readonly issuer?: string }[];
  /** Tool calls refused with 403 `insufficient_scope` for lacking a `toolScopes` scope. */
  readonly stepUpChallenges: number;
  /** Live 2025-era sessions (Streamable HTTP and SSE); the 2026-07-28 wire has none. */
  readonly sessionCount: number;
  readonly jwksFetches: number;
  /** Names of the registered tools. */
  readonly toolNames: string[];
  /**
   * Changes a tool's description in every session and future ones, emitting `notifications/tools/list_changed`
   * on each 2025-era session and on every open 2026-07-28 `subscriptions/listen` stream.
   */
  changeToolDefinition(name: string, newDescription: string): void;
  /** Rejects (401 invalid_token) every token accepted so far, as a revocation or a password reset would. */
  revokeTokensSeenSoFar(): void;
  /**
   * While on, `get_forecast` answers with `structuredContent` that violates its advertised
   * `outputSchema` (docs/security.md E5). The tool list does not change; the SDK's server checks
   * the handler's output, so the break is made on the wire, as a faulty server would send it.
   */
  breakStructuredOutput(on: boolean): void;
  close(): Promise<void>;
}

/** Which tokens the server accepts. */
export interface TokenPolicy {
  issuers: string[];
  audiences: string[];
  jwksUri: string;
  tenantId: string | undefined;
  requiredScope: string;
}

/** Fails closed (C6): options that would leave something unchecked throw instead of starting a lax server. */
export function resolveTokenPolicy(options: SecureMcpServerOptions): TokenPolicy {
  const entra = options.entraTenantId !== undefined || options.entraClientId !== undefined;
  let issuers: string[];
  let audiences: string[];
  let jwksUri: string;
  let tenantId = options.tenantId;
  if (entra) {
    if (!options.entraTenantId || !options.entraClientId) {
      throw new Error('Entra mode needs both entraTenantId and entraClientId');
    }
    const tid = options.entraTenantId;
    issuers = [`https://login.microsoftonline.com/${tid}/v2.0`];
    if (options.entraAllowV1Issuer) {
      issuers.push(`https://sts.windows.net/${tid}/`);
    }
    audiences = [options.entraClientId];
    if (options.entraAcceptApiUriAudience ?? true) {
      audiences.push(`api://${options.entraClientId}`);
    }
    jwksUri = options.jwksUri ?? `https://login.microsoftonline.com/${tid}/discovery/v2.0/keys`;
    tenantId = tid;
  } else {
    if (!options.issuer) {
      throw new Error('refusing to start the MCP server: no token issuer configured');
    }
    issuers = [options.issuer];
    audiences = options.audience === undefined ? [] : [options.audience].flat();
    if (audiences.length === 0 || audiences.some((a) => !a)) {
      throw new Error('refusing to start the MCP server: no token audience configured');
    }
    jwksUri = options.jwksUri ?? `${options.issuer}/jwks`;
  }
  if (!options.requiredScope) {
    throw new Error('refusing to start the MCP server: no required scope configured');
  }
  return { issuers, audiences, jwksUri, tenantId, requiredScope: options.requiredScope };
}
