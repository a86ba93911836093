/**
 * The secure MCP server of the local world: the MCP SDK's server behind bearer
 * validation shaped like an Entra-protected API (docs/security.md B8, C1–C8), with the
 * tools the extension must cope with and hooks that let tests see what reached it.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import express from 'express';
import { z } from 'zod';
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
	isInitializeRequest,
	isJSONRPCResultResponse,
	type CallToolResult,
	type JSONRPCMessage,
	type RequestId,
	type ServerNotification,
	type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import {
	buildChallenge,
	createBearerValidator,
	createJwksResolver,
	type AuthenticatedUser,
	type BearerValidator,
	type JwksOptions,
} from './bearer';
import { closeServer, isLoopbackHost, isLoopbackOrigin, listen, LOOPBACK_HOST } from './net';

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
	/** Optional diagnostics sink; never receives tokens. */
	log?: (line: string) => void;
}

export interface ToolCallRecord {
	tool: string;
	args: Record<string, unknown>;
	oid: string;
	tid: string;
	sessionId: string | undefined;
	transport: 'streamable-http' | 'sse';
	at: Date;
	/** `pending` until the handler returns. */
	outcome: 'pending' | 'ok' | 'error' | 'cancelled';
}

export interface SecureMcpServer {
	/** Streamable HTTP endpoint, `http://127.0.0.1:<port>/mcp`; also the PRM `resource`. */
	url: string;
	/** Legacy SSE endpoint (GET), `http://127.0.0.1:<port>/sse`. */
	sseUrl: string;
	origin: string;
	/** RFC 9728 metadata URL of `url` (path-inserted). */
	resourceMetadataUrl: string;
	issuers: string[];
	audiences: string[];
	requiredScope: string;
	/** Every tool call that reached a handler, in order. */
	readonly calls: ToolCallRecord[];
	/** Tool calls refused with 403 `insufficient_scope` for lacking a `toolScopes` scope. */
	readonly stepUpChallenges: number;
	/** Live sessions (both transports). */
	readonly sessionCount: number;
	readonly jwksFetches: number;
	/** Names of the registered tools. */
	readonly toolNames: string[];
	/** Changes a tool's description in every session and future ones, emitting `notifications/tools/list_changed`. */
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

type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

interface Session {
	oid: string;
	tid: string;
	kind: 'streamable-http' | 'sse';
	close(): Promise<void>;
	handle(req: express.Request, res: express.Response): Promise<void>;
	tools: Map<string, RegisteredTool>;
}

const TOOL_DESCRIPTIONS: Record<string, string> = {
	get_random_number: 'Returns a random integer between min and max, inclusive.',
	get_date: 'Returns the current date and time on the server, in ISO 8601 (UTC).',
	get_weather: 'Returns the current weather for a city: condition and temperature in °C.',
	delete_item: 'Permanently deletes the item with the given id. This cannot be undone.',
	slow_task: 'Runs for the given number of seconds, reporting progress every second. Can be cancelled.',
	confirm_action: 'Asks the user (through an elicitation form) to confirm an action and returns what they chose.',
	get_forecast: 'Returns a multi-day weather forecast for a city as structured data.',
	big_result: 'Returns a text result of exactly the requested number of bytes (for testing size limits).',
};

/** Violates `get_forecast`'s output schema: `city` must be a string, `days` an array. */
const BROKEN_FORECAST = { city: 42, days: 'sunny all week' };

const CONDITIONS = ['Sunny', 'Partly cloudy', 'Cloudy', 'Light rain', 'Windy', 'Foggy'] as const;

/** Deterministic weather so the scripted LLM and tests can quote it. */
export function weatherFor(city: string, dayOffset = 0): { condition: string; temperatureC: number } {
	const digest = crypto.createHash('sha256').update(`${city.trim().toLowerCase()}#${dayOffset}`).digest();
	return { condition: CONDITIONS[digest[0]! % CONDITIONS.length]!, temperatureC: (digest[1]! % 30) - 2 };
}

function text(value: string): CallToolResult {
	return { content: [{ type: 'text', text: value }] };
}

/** Removes the bearer token from a request before the SDK sees it (C7: never passed downstream). */
function stripAuthorization(req: http.IncomingMessage): void {
	delete req.headers.authorization;
	const raw = req.rawHeaders;
	for (let i = raw.length - 2; i >= 0; i -= 2) {
		if (raw[i]!.toLowerCase() === 'authorization') {
			raw.splice(i, 2);
		}
	}
}

function jsonRpcError(res: express.Response, status: number, code: number, message: string): void {
	res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

export async function startSecureMcpServer(options: SecureMcpServerOptions = {}): Promise<SecureMcpServer> {
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
		// Fail closed (C6): a server that validates nothing must not start.
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
	const requiredScope = options.requiredScope;
	const log = options.log ?? (() => undefined);
	const jwks = createJwksResolver(jwksUri, options.jwks);
	const validate: BearerValidator = createBearerValidator({
		issuers,
		audiences,
		requiredScope,
		jwks,
		...(tenantId !== undefined ? { tenantId } : {}),
		...(options.clockToleranceSeconds !== undefined ? { clockToleranceSeconds: options.clockToleranceSeconds } : {}),
	});
	const toolScopes = new Map(Object.entries(options.toolScopes ?? {}));
	const scopesSupported = options.scopesSupported ?? [...new Set([requiredScope, ...toolScopes.values()])];
	const tickMs = options.slowTaskTickMs ?? 1000;
	let structuredOutputBroken = false;

	const calls: ToolCallRecord[] = [];
	const sessions = new Map<string, Session>();
	const descriptions = new Map(Object.entries(TOOL_DESCRIPTIONS));

	const app = express();
	app.disable('x-powered-by');
	const server = http.createServer(app);
	const port = await listen(server, options.port ?? 0);
	const origin = `http://${LOOPBACK_HOST}:${port}`;
	const mcpPath = '/mcp';
	const ssePath = '/sse';
	const messagesPath = '/messages';
	const url = `${origin}${mcpPath}`;
	const sseUrl = `${origin}${ssePath}`;
	const prmUrl = (path: string) => `${origin}/.well-known/oauth-protected-resource${path}`;
	const resourceMetadataUrl = prmUrl(mcpPath);

	function createToolServer(user: AuthenticatedUser, kind: Session['kind'], getSessionId: () => string | undefined) {
		const mcp = new McpServer(
			{ name: 'secure-mcp-world', version: '1.0.0' },
			{ capabilities: { tools: { listChanged: true }, logging: {} } },
		);
		const tools = new Map<string, RegisteredTool>();
		// Responses to these requests leave with BROKEN_FORECAST as their structuredContent.
		const brokenOutputs = new Set<RequestId>();

		/** Connects the tool server to a transport, breaking the structured output of marked calls on the way out. */
		const connect = async (transport: Transport): Promise<void> => {
			const send = transport.send.bind(transport);
			transport.send = (message: JSONRPCMessage, sendOptions) => {
				if (isJSONRPCResultResponse(message) && brokenOutputs.delete(message.id)) {
					return send({ ...message, result: { ...message.result, structuredContent: BROKEN_FORECAST } }, sendOptions);
				}
				return send(message, sendOptions);
			};
			await mcp.connect(transport);
		};

		/** Records the call before the handler runs, so tests can prove it reached the server. */
		const recorded = <A extends Record<string, unknown>>(name: string, fn: (args: A, signal: AbortSignal, extra: ToolExtra) => Promise<CallToolResult>) =>
			async (args: A, extra: ToolExtra): Promise<CallToolResult> => {
				const record: ToolCallRecord = {
					tool: name, args: { ...args }, oid: user.oid, tid: user.tid,
					sessionId: getSessionId(), transport: kind, at: new Date(), outcome: 'pending',
				};
				calls.push(record);
				try {
					const result = await fn(args, extra.signal, extra);
					record.outcome = extra.signal.aborted ? 'cancelled' : result.isError ? 'error' : 'ok';
					return result;
				} catch (err) {
					record.outcome = extra.signal.aborted ? 'cancelled' : 'error';
					throw err;
				}
			};
		const describe = (name: string) => descriptions.get(name) ?? '';

		tools.set('get_random_number', mcp.registerTool('get_random_number', {
			title: 'Random number',
			description: describe('get_random_number'),
			inputSchema: { min: z.number().int().describe('Smallest allowed value'), max: z.number().int().describe('Largest allowed value') },
			annotations: { readOnlyHint: true, openWorldHint: false },
		}, recorded('get_random_number', async ({ min, max }: { min: number; max: number }) => {
			if (min > max) {
				return { ...text('min must not be greater than max'), isError: true };
			}
			return text(String(crypto.randomInt(min, max + 1)));
		})));

		tools.set('get_date', mcp.registerTool('get_date', {
			title: 'Current date',
			description: describe('get_date'),
			annotations: { readOnlyHint: true, openWorldHint: false },
		}, (extra) => recorded('get_date', async () => text(new Date().toISOString()))({}, extra)));

		tools.set('get_weather', mcp.registerTool('get_weather', {
			title: 'Weather',
			description: describe('get_weather'),
			inputSchema: { city: z.string().min(1).max(100).describe('City name, e.g. "Paris"') },
			annotations: { readOnlyHint: true, openWorldHint: true },
		}, recorded('get_weather', async ({ city }: { city: string }) => {
			const w = weatherFor(city);
			return text(`Weather in ${city}: ${w.condition}, ${w.temperatureC} °C`);
		})));

		tools.set('delete_item', mcp.registerTool('delete_item', {
			title: 'Delete item',
			description: describe('delete_item'),
			inputSchema: { id: z.string().min(1).max(200).describe('Id of the item to delete') },
			annotations: { destructiveHint: true, readOnlyHint: false, idempotentHint: true, openWorldHint: false },
		}, recorded('delete_item', async ({ id }: { id: string }) => text(`Deleted item ${id}.`))));

		tools.set('slow_task', mcp.registerTool('slow_task', {
			title: 'Slow task',
			description: describe('slow_task'),
			inputSchema: { seconds: z.number().int().min(1).max(3600).describe('How long to run, in seconds') },
			annotations: { readOnlyHint: true, openWorldHint: false },
		}, recorded('slow_task', async ({ seconds }: { seconds: number }, signal, extra) => {
			const progressToken = extra._meta?.progressToken;
			for (let done = 1; done <= seconds; done++) {
				await new Promise<void>((resolve) => {
					const timer = setTimeout(resolve, tickMs);
					signal.addEventListener('abort', () => {
						clearTimeout(timer);
						resolve();
					}, { once: true });
				});
				if (signal.aborted) {
					return { ...text(`Cancelled after ${done - 1} of ${seconds} seconds.`), isError: true };
				}
				if (progressToken !== undefined) {
					await extra.sendNotification({
						method: 'notifications/progress',
						params: { progressToken, progress: done, total: seconds, message: `${done}/${seconds} s` },
					});
				}
				await extra.sendNotification({
					method: 'notifications/message',
					params: { level: 'info', logger: 'slow_task', data: `step ${done}/${seconds}` },
				});
			}
			return text(`Finished after ${seconds} seconds.`);
		})));

		tools.set('confirm_action', mcp.registerTool('confirm_action', {
			title: 'Confirm an action',
			description: describe('confirm_action'),
			inputSchema: {
				action: z.string().min(1).max(500).describe('What the user is asked to confirm'),
				via: z.enum(['form', 'url']).optional().describe('How to ask: a form (default), or a web page the user opens'),
			},
			annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
		}, recorded('confirm_action', async ({ action, via }: { action: string; via?: 'form' | 'url' }, signal, extra) => {
			if (!mcp.server.getClientCapabilities()?.elicitation) {
				return { ...text('The client does not support elicitation.'), isError: true };
			}
			const result = via === 'url' ? await mcp.server.elicitInput({
				// URL mode: the user confirms on a page of ours; the client only opens it, with consent.
				mode: 'url',
				message: `Confirm on the server's page: ${action}`,
				url: `${origin}/confirm?action=${encodeURIComponent(action)}`,
				elicitationId: crypto.randomUUID(),
			}, { relatedRequestId: extra.requestId, signal }) : await mcp.server.elicitInput({
				mode: 'form',
				message: `Please confirm: ${action}`,
				requestedSchema: {
					type: 'object',
					properties: {
						reason: { type: 'string', title: 'Reason', description: 'Why this action is needed', minLength: 1, maxLength: 200, default: 'Routine maintenance' },
						quantity: { type: 'integer', title: 'Quantity', minimum: 1, maximum: 10, default: 1 },
						budget: { type: 'number', title: 'Budget (EUR)', minimum: 0, default: 9.5 },
						notify: { type: 'boolean', title: 'Notify the team', default: true },
						priority: { type: 'string', title: 'Priority', enum: ['low', 'normal', 'high'], default: 'normal' },
					},
					required: ['reason', 'priority'],
				},
				// Related to the tool call, so the request rides the call's own response stream and
				// does not depend on the client's standalone GET stream being open yet.
			}, { relatedRequestId: extra.requestId, signal });
			const summary = result.action === 'accept'
				? `accepted: ${JSON.stringify(result.content ?? {})}`
				: result.action === 'decline' ? 'declined' : 'cancelled';
			return { content: [{ type: 'text', text: summary }], structuredContent: { action: result.action, content: result.content ?? null } };
		})));

		tools.set('get_forecast', mcp.registerTool('get_forecast', {
			title: 'Forecast',
			description: describe('get_forecast'),
			inputSchema: {
				city: z.string().min(1).max(100).describe('City name'),
				days: z.number().int().min(1).max(7).default(3).describe('Number of days (1–7)'),
			},
			outputSchema: {
				city: z.string(),
				days: z.array(z.object({ date: z.string(), condition: z.string(), highC: z.number(), lowC: z.number() })),
			},
			annotations: { readOnlyHint: true, openWorldHint: true },
		}, recorded('get_forecast', async ({ city, days }: { city: string; days: number }, _signal, extra) => {
			if (structuredOutputBroken) {
				brokenOutputs.add(extra.requestId);
			}
			const start = Date.now();
			const forecast = {
				city,
				days: Array.from({ length: days }, (_, i) => {
					const w = weatherFor(city, i);
					return {
						date: new Date(start + i * 86_400_000).toISOString().slice(0, 10),
						condition: w.condition,
						highC: w.temperatureC + 3,
						lowC: w.temperatureC - 4,
					};
				}),
			};
			return { content: [{ type: 'text', text: JSON.stringify(forecast) }], structuredContent: forecast };
		})));

		tools.set('big_result', mcp.registerTool('big_result', {
			title: 'Big result',
			description: describe('big_result'),
			inputSchema: { bytes: z.number().int().min(0).max(64 * 1024 * 1024).describe('Size of the result in bytes') },
			annotations: { readOnlyHint: true, openWorldHint: false },
		}, recorded('big_result', async ({ bytes }: { bytes: number }) => {
			const line = 'lorem ipsum dolor sit amet 0123456789\n';
			return text(line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes));
		})));

		return { mcp, tools, connect };
	}

	// --- request guards ---------------------------------------------------------------

	/** DNS-rebinding protection (B8): only loopback Host and, when present, loopback Origin. */
	const guardOrigin: express.RequestHandler = (req, res, next) => {
		const requestOrigin = req.headers.origin;
		if (!isLoopbackHost(req.headers.host) || (requestOrigin !== undefined && !isLoopbackOrigin(requestOrigin))) {
			log(`[mcp] refused origin ${requestOrigin ?? '-'} host ${req.headers.host ?? '-'}`);
			jsonRpcError(res, 403, -32000, 'Forbidden: origin not allowed');
			return;
		}
		next();
	};

	/** Every request is authenticated on its own; a session id never stands in for a token (B8). */
	// Hashes of tokens accepted so far, and of those revoked (see revokeTokensSeenSoFar); never the tokens.
	const seenTokens = new Set<string>();
	let revokedTokens = new Set<string>();
	const tokenHash = (token: string) => crypto.createHash('sha256').update(token).digest('base64url');
	const authenticate = (metadataPath: string): express.RequestHandler => async (req, res, next) => {
		const resourceMetadata = prmUrl(metadataPath);
		if (new URL(req.originalUrl, origin).searchParams.has('access_token')) {
			// RFC 6750 §2.3 URI tokens end up in logs and histories; refuse them outright.
			res.set('WWW-Authenticate', buildChallenge({ error: 'invalid_request', description: 'tokens in the query string are not accepted', resourceMetadata }));
			jsonRpcError(res, 400, -32000, 'Bad Request: access_token in the URL is not accepted');
			return;
		}
		const header = req.headers.authorization;
		const match = header ? /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header) : null;
		if (!match) {
			res.set('WWW-Authenticate', header
				? buildChallenge({ error: 'invalid_token', description: 'malformed Authorization header', resourceMetadata })
				: buildChallenge({ resourceMetadata }));
			jsonRpcError(res, 401, -32001, 'Unauthorized');
			return;
		}
		let result = await validate(match[1]!);
		const hash = tokenHash(match[1]!);
		stripAuthorization(req);
		if (result.ok && revokedTokens.has(hash)) {
			result = { ok: false, status: 401, error: 'invalid_token', description: 'the token was revoked' };
		} else if (result.ok && seenTokens.size < 10_000) {
			seenTokens.add(hash);
		}
		if (!result.ok) {
			log(`[mcp] ${result.status} ${result.error}: ${result.description}`);
			res.set('WWW-Authenticate', buildChallenge({
				error: result.error,
				description: result.description,
				...(result.error === 'insufficient_scope' ? { scope: requiredScope } : {}),
				resourceMetadata,
			}));
			jsonRpcError(res, result.status, -32001, result.status === 403 ? 'Forbidden' : 'Unauthorized');
			return;
		}
		res.locals.user = result.user;
		next();
	};

	const userOf = (res: express.Response): AuthenticatedUser => res.locals.user as AuthenticatedUser;

	/** A session answers only to the user who created it; others get the same 404 as a stale id. */
	const sessionFor = (id: string | undefined, user: AuthenticatedUser, kind: Session['kind']): Session | undefined => {
		const session = id ? sessions.get(id) : undefined;
		if (!session || session.kind !== kind || session.oid !== user.oid || session.tid !== user.tid) {
			return undefined;
		}
		return session;
	};

	// --- Protected Resource Metadata (RFC 9728) -------------------------------------------

	const prm = (resource: string) => ({
		resource,
		authorization_servers: [issuers[0]],
		scopes_supported: scopesSupported,
		bearer_methods_supported: ['header'],
		resource_name: 'Secure MCP local world server',
	});
	app.get(`/.well-known/oauth-protected-resource${mcpPath}`, (_req, res) => void res.json(prm(url)));
	app.get(`/.well-known/oauth-protected-resource${ssePath}`, (_req, res) => void res.json(prm(sseUrl)));
	app.get('/.well-known/oauth-protected-resource', (_req, res) => void res.json(prm(url)));

	// --- Streamable HTTP ---------------------------------------------------------------

	const jsonBody = express.json({ limit: '4mb' });
	let stepUpChallenges = 0;
	/** 403 for a `tools/call` whose tool needs a scope the token lacks, as MCP's step-up flow expects. */
	const toolScope = (path: string): express.RequestHandler => (req, res, next) => {
		const messages: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
		const user = userOf(res);
		for (const m of messages) {
			const call = m as { method?: unknown; params?: { name?: unknown } } | null;
			const needed = call?.method === 'tools/call' && typeof call.params?.name === 'string' ? toolScopes.get(call.params.name) : undefined;
			if (needed && !user.scopes.includes(needed)) {
				stepUpChallenges++;
				log(`[mcp] 403 insufficient_scope: ${String(call?.params?.name)} needs ${needed}`);
				res.set('WWW-Authenticate', buildChallenge({
					error: 'insufficient_scope',
					description: `this tool needs the ${needed} scope`,
					scope: [...new Set([...user.scopes, requiredScope, needed])].join(' '),
					resourceMetadata: prmUrl(path),
				}));
				jsonRpcError(res, 403, -32001, 'Forbidden');
				return;
			}
		}
		next();
	};
	app.post(mcpPath, guardOrigin, authenticate(mcpPath), jsonBody, toolScope(mcpPath), async (req, res, next) => {
		try {
			const user = userOf(res);
			const sessionId = req.headers['mcp-session-id'];
			if (typeof sessionId === 'string') {
				const session = sessionFor(sessionId, user, 'streamable-http');
				if (!session) {
					jsonRpcError(res, 404, -32001, 'Session not found');
					return;
				}
				await session.handle(req, res);
				return;
			}
			if (!isInitializeRequest(req.body)) {
				jsonRpcError(res, 400, -32000, 'Bad Request: no session id, and not an initialize request');
				return;
			}
			// A CSPRNG id (B8), chosen up front so the tool server can record it.
			const newSessionId = crypto.randomUUID();
			const { mcp, tools, connect } = createToolServer(user, 'streamable-http', () => newSessionId);
			const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
				sessionIdGenerator: () => newSessionId,
				onsessioninitialized: (id) => {
					sessions.set(id, {
						oid: user.oid, tid: user.tid, kind: 'streamable-http', tools,
						handle: (rq, rs) => transport.handleRequest(rq, rs, rq.body),
						close: () => mcp.close(),
					});
				},
			});
			transport.onclose = () => void sessions.delete(newSessionId);
			await connect(transport);
			await transport.handleRequest(req, res, req.body);
		} catch (err) {
			next(err);
		}
	});
	const existingSession: express.RequestHandler = async (req, res, next) => {
		try {
			const sessionId = req.headers['mcp-session-id'];
			const session = sessionFor(typeof sessionId === 'string' ? sessionId : undefined, userOf(res), 'streamable-http');
			if (!session) {
				jsonRpcError(res, typeof sessionId === 'string' ? 404 : 400, -32000, typeof sessionId === 'string' ? 'Session not found' : 'Bad Request: no session id');
				return;
			}
			await session.handle(req, res);
		} catch (err) {
			next(err);
		}
	};
	app.get(mcpPath, guardOrigin, authenticate(mcpPath), existingSession);
	app.delete(mcpPath, guardOrigin, authenticate(mcpPath), existingSession);

	// --- legacy HTTP+SSE (2024-11-05), for clients' fallback path --------------------------

	app.get(ssePath, guardOrigin, authenticate(ssePath), async (_req, res, next) => {
		try {
			const user = userOf(res);
			const transport = new SSEServerTransport(messagesPath, res);
			const { mcp, tools, connect } = createToolServer(user, 'sse', () => transport.sessionId);
			sessions.set(transport.sessionId, {
				oid: user.oid, tid: user.tid, kind: 'sse', tools,
				handle: (rq, rs) => transport.handlePostMessage(rq, rs, rq.body),
				close: () => mcp.close(),
			});
			transport.onclose = () => void sessions.delete(transport.sessionId);
			await connect(transport);
		} catch (err) {
			next(err);
		}
	});
	app.post(messagesPath, guardOrigin, authenticate(ssePath), jsonBody, toolScope(ssePath), async (req, res, next) => {
		try {
			const id = typeof req.query.sessionId === 'string' ? req.query.sessionId : undefined;
			const session = sessionFor(id, userOf(res), 'sse');
			if (!session) {
				jsonRpcError(res, 404, -32001, 'Session not found');
				return;
			}
			await session.handle(req, res);
		} catch (err) {
			next(err);
		}
	});

	app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
		log(`[mcp] internal error: ${err instanceof Error ? err.message : String(err)}`);
		if (!res.headersSent) {
			jsonRpcError(res, 500, -32603, 'Internal error');
		}
	});

	return {
		url,
		sseUrl,
		origin,
		resourceMetadataUrl,
		issuers,
		audiences,
		requiredScope,
		calls,
		get stepUpChallenges() {
			return stepUpChallenges;
		},
		get sessionCount() {
			return sessions.size;
		},
		get jwksFetches() {
			return jwks.fetches;
		},
		toolNames: Object.keys(TOOL_DESCRIPTIONS),
		changeToolDefinition(name: string, newDescription: string) {
			if (!descriptions.has(name)) {
				throw new Error(`no tool named ${name}`);
			}
			descriptions.set(name, newDescription);
			// RegisteredTool.update sends notifications/tools/list_changed on each connected session.
			for (const session of sessions.values()) {
				session.tools.get(name)?.update({ description: newDescription });
			}
		},
		revokeTokensSeenSoFar() {
			revokedTokens = new Set([...revokedTokens, ...seenTokens]);
		},
		breakStructuredOutput(on: boolean) {
			structuredOutputBroken = on;
		},
		async close() {
			await Promise.allSettled([...sessions.values()].map((s) => s.close()));
			sessions.clear();
			await closeServer(server);
		},
	};
}
