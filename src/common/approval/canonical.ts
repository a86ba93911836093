import type { Tool } from '@modelcontextprotocol/client';

/**
 * JSON with object keys sorted at every level and no whitespace, so the same value
 * always hashes the same no matter how the server ordered its keys. `undefined`
 * members are dropped (as JSON.stringify does); non-finite numbers become null.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value, 0));
}

/** The same canonical form, indented, for showing and diffing. */
export function canonicalJsonPretty(value: unknown): string {
  return JSON.stringify(normalize(value, 0), null, 2) ?? 'null';
}

// Bounded so a hostile, deeply nested schema cannot exhaust the stack.
const MAX_DEPTH = 200;

function normalize(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) {
    throw new RangeError('value is nested too deeply to canonicalize');
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return value;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : null;
  }
  if (typeof value === 'bigint') {
    return value.toString();
  }
  if (Array.isArray(value)) {
    return value.map(v => v === undefined || typeof v === 'function' || typeof v === 'symbol' ? null : normalize(v, depth + 1));
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined && typeof v !== 'function' && typeof v !== 'symbol') {
        out[key] = normalize(v, depth + 1);
      }
    }
    return out;
  }
  return null;
}

/**
 * The parts of a tool that decide what approving it means. Anything else the server
 * sends (`_meta`, icons, execution hints) may change freely without re-prompting.
 */
export interface ToolDefinition {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema?: unknown;
  readonly outputSchema?: unknown;
  readonly annotations?: unknown;
}

export function toolDefinition(tool: Tool): ToolDefinition {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
    annotations: tool.annotations
  };
}
