/**
 * Entry of dist/runtime.js: everything that needs the MCP SDK or openai. The
 * extension bundle never imports this module at runtime; src/vscode/lazy.ts requires
 * it on first use so activation does not pay ~120 ms for modules it may never need.
 */
export { createAuthFetch, type AuthFetch, type AuthFetchOptions, type FetchLike } from './auth/authFetch';
export { discover } from './discovery/discovery';
export type { DiscoveryResult, Finding } from '../common/discovery/result';
export { createSafeFetch } from './discovery/safeFetch';
export { McpSession, type McpSessionOptions, type SessionState, type Tool, type CallToolResult } from './mcp/session';
export { decodeClaims } from '../common/auth/claims';
export { diagnose, renderReport, type DiagnoseInput } from '../common/diagnose';
export { runToolLoop, pastToolCalls, type ToolLoopEvent, type ToolLoopResult, type ToolServer } from '../common/chat/toolLoop';
export { ArgumentValidator } from '../common/chat/validation';
export { resultToText, capText } from '../common/chat/results';
export { createOpenAiChatModel, createAzureOpenAiChatModel, AZURE_COGNITIVE_SERVICES_SCOPE } from './llm/openai';
export { OAuthClient } from './oauth';
