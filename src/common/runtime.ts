/**
 * Entry of dist/runtime.js: everything that needs the MCP SDK or openai. The
 * extension bundle never imports this module at runtime; src/vscode/lazy.ts requires
 * it on first use so activation does not pay ~135 ms for modules it may never need.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import OpenAI from 'openai';

export interface RuntimeInfo {
  readonly mcpClient: string;
  readonly llmClient: string;
}

/** Proves the heavy modules loaded and says which implementations are in use. */
export function runtimeInfo(): RuntimeInfo {
  return { mcpClient: Client.name, llmClient: OpenAI.name };
}
