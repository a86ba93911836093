/**
 * `npm run world`: starts the local world and prints what a person (or the demo script)
 * needs to point the extension at it. Ports come from WORLD_IDP_PORT, WORLD_MCP_PORT and
 * WORLD_LLM_PORT (0 or unset = ephemeral); the MCP revisions served from WORLD_MCP_PROTOCOL
 * (dual, 2026-07-28 or 2025-11-25; unset = dual). WORLD_IDENTITY=entra starts the Entra
 * emulator (CONNECT proxy on WORLD_ENTRA_PROXY_PORT, per-run CA) with the MCP server in Entra
 * mode; unset or `generic` keeps the oidc-provider world.
 */
import { parseArgs } from 'node:util';
import { isProtocolMode, PROTOCOL_MODES, startWorld, vscodeScopes, type ProtocolMode, type WorldOptions } from './index';

function portFromEnv(name: string): number {
  const raw = process.env[name];
  if (!raw) {
    return 0;
  }
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number (0-65535), got ${raw}`);
  }
  return port;
}

function identityFromEnv(): 'generic' | 'entra' {
  const raw = process.env.WORLD_IDENTITY;
  if (!raw || raw === 'generic') {
    return 'generic';
  }
  if (raw !== 'entra') {
    throw new Error(`WORLD_IDENTITY must be generic or entra, got ${raw}`);
  }
  return raw;
}

function protocolFromEnv(): ProtocolMode {
  const raw = process.env.WORLD_MCP_PROTOCOL;
  if (!raw) {
    return 'dual';
  }
  if (!isProtocolMode(raw)) {
    throw new Error(`WORLD_MCP_PROTOCOL must be one of ${PROTOCOL_MODES.join(', ')}, got ${raw}`);
  }
  return raw;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'entra-tenant': { type: 'string' },
      'entra-client-id': { type: 'string' },
      'entra-allow-v1': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  });
  if (values.help) {
    console.log('usage: tsx test/world/main.ts [--entra-tenant <tid> --entra-client-id <id> [--entra-allow-v1]]');
    return;
  }
  const tenant = values['entra-tenant'];
  const clientId = values['entra-client-id'];
  if ((tenant === undefined) !== (clientId === undefined)) {
    throw new Error('--entra-tenant and --entra-client-id go together');
  }
  const identity = identityFromEnv();
  if (identity === 'entra' && tenant) {
    throw new Error('WORLD_IDENTITY=entra and --entra-tenant exclude each other');
  }
  const options: WorldOptions = {
    idp: { port: portFromEnv('WORLD_IDP_PORT') },
    ...(identity === 'entra' ? { entraEmulator: { proxyPort: portFromEnv('WORLD_ENTRA_PROXY_PORT') } } : {}),
    mcp: { port: portFromEnv('WORLD_MCP_PORT'), protocol: protocolFromEnv(), log: (line) => console.log(line) },
    llm: { port: portFromEnv('WORLD_LLM_PORT') },
    ...(tenant && clientId ? { entra: { tenantId: tenant, clientId, allowV1Issuer: values['entra-allow-v1'] } } : {})
  };
  const world = await startWorld(options);
  const user = world.demoUser;
  const emulator = world.entraEmulator;
  const entraLines = emulator
    ? [
      '',
      '  Entra emulator (login.microsoftonline.com and vscode.dev/redirect, through the proxy only)',
      `  Proxy (http.proxy, Chromium --proxy-server)   ${emulator.proxyUrl}`,
      `  CA bundle (SSL_CERT_FILE for code-server)     ${emulator.caBundleFile}`,
      `  Test CA alone                                 ${emulator.caFile}`,
      `  code-server flag                              ${emulator.clientSettings.codeServerArgs.join(' ')}`,
      `  Chromium flag                                 ${emulator.clientSettings.chromiumArgs.join(' ')}`,
      `  Authority                                     ${emulator.authority}`,
      `  Signed-in user                                ${emulator.user.preferredUsername} (oid ${emulator.user.oid})`,
      `  getSession('microsoft', ...) scopes           ${JSON.stringify(vscodeScopes(emulator))}`,
      `  JWKS (direct, what the MCP server fetches)    ${emulator.jwksUri}`
    ]
    : [];
  const lines = [
    'Secure MCP local world is running.',
    '',
    `  MCP server (Streamable HTTP)  ${world.urls.mcp}`,
    `  MCP revisions served          ${world.mcp.protocol === 'dual' ? '2026-07-28 and 2025 (dual)' : world.mcp.protocol}`,
    ...(world.mcp.protocol === '2026-07-28' ? [] : [`  MCP server (legacy SSE)       ${world.urls.mcpSse}`]),
    `  Protected Resource Metadata   ${world.urls.resourceMetadata}`,
    tenant
      ? `  Token validation              real Entra ID: ${world.mcp.issuers.join(', ')}`
      : emulator
        ? `  Token validation              Entra emulator: ${world.mcp.issuers.join(', ')}`
        : `  Identity provider (issuer)    ${world.urls.issuer}`,
    `  OIDC discovery                ${world.urls.discovery}`,
    `  LLM (OpenAI base URL)         ${world.urls.llmOpenAiBaseUrl}`,
    `  LLM (Azure OpenAI endpoint)   ${world.urls.llmAzureEndpoint}   (any deployment, any api-version)`,
    '',
    `  Tenant id                     ${world.tenantId}`,
    `  API client id (aud)           ${world.apiClientId}`,
    `  Full scope                    ${world.fullScope}`,
    `  Extension client id (public)  ${world.extensionClientId}`,
    `  Daemon client (app-only)      ${world.idp.confidentialClient.clientId} / ${world.idp.confidentialClient.clientSecret}`,
    '',
    `  Demo user                     ${user.username} / ${user.password}   (${user.email}, oid ${user.oid})`,
    ...world.idp.users.slice(1).map((u) => `  Other user                    ${u.username} / ${u.password}`),
    '  LLM API key                   any non-empty value',
    ...entraLines,
    '',
    'Press Ctrl+C to stop.'
  ];
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log(`\n${signal}: stopping the world...`);
    world.close().then(() => process.exit(0), (err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
