/**
 * Entry of dist/runtime.js: everything that needs the MCP SDK or openai. The
 * extension bundle never imports this module at runtime; src/vscode/lazy.ts requires
 * it on first use so activation does not pay ~120 ms for modules it may never need.
 */
export { createAuthFetch, type AuthFetch, type AuthFetchOptions, type FetchLike } from './auth/authFetch';
export { discover, type DiscoveryResult, type Finding } from './discovery/discovery';
export { createSafeFetch } from './discovery/safeFetch';
export { McpSession, type McpSessionOptions, type SessionState, type Tool, type CallToolResult } from './mcp/session';
export { decodeClaims } from './auth/claims';
export { diagnose, renderReport, type DiagnoseInput } from './diagnose';
export { runToolLoop, pastToolCalls, type ToolLoopEvent, type ToolLoopResult, type ToolServer } from './chat/toolLoop';
export { ArgumentValidator } from './chat/validation';
export { resultToText, capText } from './chat/results';
export { createOpenAiChatModel, createAzureOpenAiChatModel, AZURE_COGNITIVE_SERVICES_SCOPE } from './llm/openai';
export { OAuthClient } from './oauth';
