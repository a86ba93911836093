import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/client';
import { canonicalJson, toolDefinition, type ToolDefinition } from '../../common/approval/canonical';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** SHA-256 (hex) of the canonical JSON of a tool's definition: the pin (docs/security.md E1). */
export function definitionHash(tool: Tool | ToolDefinition): string {
  return sha256Hex(canonicalJson(toolDefinition(tool as Tool)));
}

/** SHA-256 (hex) of canonical arguments: what the audit trail keeps instead of the values. */
export function argumentsHash(args: unknown): string {
  return sha256Hex(canonicalJson(args ?? {}));
}
