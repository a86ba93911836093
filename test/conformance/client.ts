/**
 * The conformance harness client: `@modelcontextprotocol/conformance` runs it with the
 * scenario's server URL as the last argument, the scenario name in
 * MCP_CONFORMANCE_SCENARIO and scenario data (pre-registered credentials) in
 * MCP_CONFORMANCE_CONTEXT. It is the product's own src/common code — McpSession,
 * createAuthFetch, OAuthClient — with a headless browser in place of a person.
 */
import { createAuthFetch, type FetchLike } from '../../src/node/auth/authFetch';
import { bearerChallenge } from '../../src/common/auth/challenge';
import type { TokenSource } from '../../src/common/auth/tokenSource';
import { ProtocolError } from '../../src/common/errors';
import type { Logger } from '../../src/common/log';
import { McpSession, type Tool } from '../../src/node/mcp/session';
import { OAuthClient } from '../../src/node/oauth';
import { createHeadlessBrowser } from '../world/headless';
import { acceptDefaults } from '../support/elicitation';

/** The URL the suite's CIMD scenarios expect as client id; it stands for our published document. */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

const write = (level: string) => (m: string | Error) => process.stderr.write(`${new Date().toISOString()} ${level} ${m instanceof Error ? `${m.name}: ${m.message}` : m}\n`);
const logger: Logger = { trace: () => undefined, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };

function sampleArguments(tool: Tool): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(tool.inputSchema.properties ?? {})) {
    const type = (prop as { type?: unknown }).type;
    args[name] = type === 'number' || type === 'integer' ? 1 : type === 'boolean' ? true : type === 'array' ? [] : type === 'object' ? {} : 'test';
  }
  return args;
}

async function main(): Promise<void> {
  const serverUrl = new URL(process.argv[process.argv.length - 1] ?? '');
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
  // client_id/secret: pre-registered credentials; toolCalls: the calls a scenario wants made, with their arguments.
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as {
    client_id?: string;
    client_secret?: string;
    toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  };
  logger.info(`scenario ${scenario} against ${serverUrl.href}`);

  let fetchFn: FetchLike = (input, init) => fetch(input, init);
  if (scenario.startsWith('auth/')) {
    // The harness consents to whatever scope the server challenges for; the product limits
    // step-up to configured scopes. authFetch reads this list when a 403 arrives.
    const allowed: string[] = [];
    const base: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      const c = response.status === 403 ? bearerChallenge(response.headers.get('www-authenticate')) : undefined;
      for (const s of c?.error === 'insufficient_scope' ? (c.scope ?? '').split(/\s+/).filter(Boolean) : []) {
        if (!allowed.includes(s)) {
          allowed.push(s);
        }
      }
      return response;
    };
    const secrets = new Map<string, string>();
    const oauth = new OAuthClient({
      secrets: { get: async k => secrets.get(k), store: async (k, v) => { secrets.set(k, v); }, delete: async k => { secrets.delete(k); } },
      logger,
      openBrowser: createHeadlessBrowser(),
      clientMetadataUrl: CLIENT_METADATA_URL,
      authorizationTimeoutMs: 15_000,
      // What a user opts in to with secureMcp.auth.allowLegacyEndpoints, for the
      // 2025-03-26 scenario whose server publishes no metadata at all.
      legacyEndpointFallback: true,
      ...(context.client_id ? { preRegisteredClient: { clientId: context.client_id, ...(context.client_secret ? { clientSecret: context.client_secret } : {}) } } : {})
    });
    const holder: { authFetch?: ReturnType<typeof createAuthFetch> } = {};
    const oauthTokens = oauth.tokenSource(serverUrl, { interactive: true, challenge: () => holder.authFetch?.lastChallenge() });
    // Sign in on demand, as the spec describes: nothing until the server's first 401 says
    // which scope it wants (a server may let initialize through without a token).
    const tokens: TokenSource = { getToken: request => holder.authFetch?.lastChallenge() ? oauthTokens.getToken(request) : Promise.resolve(undefined) };
    holder.authFetch = createAuthFetch({ serverUrl, tokens, scopes: [], allowedScopes: allowed, fetch: base, logger, anonymousUntilChallenged: true });
    fetchFn = holder.authFetch;
  }

  const session = new McpSession({
    serverUrl,
    fetch: fetchFn,
    logger,
    clientInfo: { name: 'secure-mcp-conformance', version: '0.1.0' },
    // Generous: the suite starts every scenario of a requirement set at once.
    connectTimeoutMs: 25_000,
    callTimeoutMs: 10_000,
    callMaxTimeoutMs: 20_000,
    maxResultBytes: 1_048_576,
    reconnect: { attempts: 1, initialDelayMs: 100, maxDelayMs: 100 },
    elicitation: acceptDefaults
  });
  try {
    await session.connect();
    const tools = await session.listTools();
    logger.info(`tools: ${tools.map(t => t.name).join(', ') || '(none)'}`);
    const calls = context.toolCalls ?? tools.map(tool => ({ name: tool.name, arguments: sampleArguments(tool) }));
    for (const call of calls) {
      // A server's JSON-RPC error for one call is an answer, shown to the user as such; the next call still runs.
      const outcome = await session.callTool(call.name, call.arguments).then(r => r.isError ? 'error result' : 'ok', (e: unknown) => {
        if (!(e instanceof ProtocolError)) {
          throw e;
        }
        return `refused: ${e.message}`;
      });
      logger.info(`called ${call.name}: ${outcome}`);
    }
  } finally {
    await session.close();
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  logger.error(e instanceof Error ? e : String(e));
  process.exit(1);
});
