/**
 * The whole local world: identity provider, secure MCP server configured for it, and the
 * scripted LLM, all on 127.0.0.1. Used by tests, `npm run world` and the demo.
 */
import { startIdp, type DemoUser, type Idp, type IdpOptions } from './idp';
import { startEntraEmulator, type RunningEntraEmulator, type StartEntraEmulatorOptions } from './entra';
import { startScriptedLlm, type LlmServerOptions, type ScriptedLlm } from './llm';
import { startSecureMcpServer, type SecureMcpServer, type SecureMcpServerOptions } from './mcp-server';

export { ADMIN_SCOPE, startIdp, type Idp, type IdpOptions, type DemoUser, type MintOptions } from './idp';
export { isProtocolMode, PROTOCOL_MODES, startSecureMcpServer, weatherFor, type ProtocolMode, type SecureMcpServer, type SecureMcpServerOptions, type ToolCallRecord } from './mcp-server';
export { startEntraEmulator, vscodeScopes, VSCODE_CLIENT_ID, type RunningEntraEmulator, type StartEntraEmulatorOptions } from './entra';
export { startScriptedLlm, steps, defaultReply, type LlmStep, type ScriptedLlm, type RecordedLlmRequest } from './llm';

export interface WorldOptions {
  idp?: IdpOptions;
  /** Merged over the settings derived from the IdP (issuer, audience, scope, tenant); `protocol` picks the MCP revisions served. */
  mcp?: SecureMcpServerOptions;
  llm?: LlmServerOptions;
  /** Run the MCP server against real Entra instead of the local IdP (the IdP still starts). */
  entra?: { tenantId: string; clientId: string; allowV1Issuer?: boolean };
  /**
   * Run the local Entra emulator (CONNECT proxy, per-run CA) and the MCP server in Entra mode
   * against its tokens: v2 `iss` of its tenant, `aud` = its API client id, `scp` with the
   * required scope, delegated only. The generic IdP still starts. Not with `entra`.
   */
  entraEmulator?: boolean | StartEntraEmulatorOptions;
}

export interface World {
  idp: Idp;
  mcp: SecureMcpServer;
  llm: ScriptedLlm;
  /** Set when started with `entraEmulator`. */
  entraEmulator?: RunningEntraEmulator;
  urls: {
    mcp: string;
    mcpSse: string;
    resourceMetadata: string;
    issuer: string;
    discovery: string;
    llmOpenAiBaseUrl: string;
    llmAzureEndpoint: string;
  };
  demoUser: DemoUser;
  tenantId: string;
  apiClientId: string;
  extensionClientId: string;
  /** Entra-style full scope to request, `api://<apiClientId>/mcp:tools`. */
  fullScope: string;
  close(): Promise<void>;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    await Promise.allSettled(started.reverse().map((s) => s.close()));
  };
  if (options.entra && options.entraEmulator) {
    throw new Error('startWorld: entra (real Entra) and entraEmulator exclude each other');
  }
  try {
    const idp = await startIdp(options.idp);
    started.push(idp);
    let emulator: RunningEntraEmulator | undefined;
    if (options.entraEmulator) {
      emulator = await startEntraEmulator(options.entraEmulator === true ? {} : options.entraEmulator);
      started.push(emulator);
    }
    const mcp = await startSecureMcpServer(emulator
      ? {
        entraTenantId: emulator.tenantId,
        entraClientId: emulator.apiClientId,
        // The keys of login.microsoftonline.com/<tid>/discovery/v2.0/keys, on the emulator's loopback listener.
        jwksUri: emulator.jwksUri,
        requiredScope: idp.scope,
        ...options.mcp
      }
      : options.entra
      ? {
        entraTenantId: options.entra.tenantId,
        entraClientId: options.entra.clientId,
        entraAllowV1Issuer: options.entra.allowV1Issuer ?? false,
        requiredScope: idp.scope,
        ...options.mcp
      }
      : {
        issuer: idp.issuer,
        jwksUri: idp.jwksUri,
        audience: idp.apiClientId,
        requiredScope: idp.scope,
        tenantId: idp.tenantId,
        ...options.mcp
      });
    started.push(mcp);
    const llm = await startScriptedLlm(options.llm);
    started.push(llm);
    return {
      idp,
      mcp,
      llm,
      ...(emulator ? { entraEmulator: emulator } : {}),
      urls: {
        mcp: mcp.url,
        mcpSse: mcp.sseUrl,
        resourceMetadata: mcp.resourceMetadataUrl,
        issuer: emulator?.issuer ?? idp.issuer,
        discovery: emulator ? `${emulator.authority}/v2.0/.well-known/openid-configuration` : idp.discoveryUrl,
        llmOpenAiBaseUrl: llm.baseUrl,
        llmAzureEndpoint: llm.url
      },
      demoUser: idp.users[0]!,
      tenantId: emulator?.tenantId ?? options.entra?.tenantId ?? idp.tenantId,
      apiClientId: emulator?.apiClientId ?? options.entra?.clientId ?? idp.apiClientId,
      extensionClientId: idp.extensionClientId,
      fullScope: emulator?.scope ?? (options.entra ? `api://${options.entra.clientId}/${idp.scope}` : idp.fullScope),
      close: closeAll
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
export { Browser, createHeadlessBrowser, signInHeadless, refreshHeadless, type HeadlessTokens } from './headless';
