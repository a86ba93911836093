import type { Tool } from '@modelcontextprotocol/client';

/**
 * Why a call counts as destructive (docs/security.md E9):
 * - `claimed`: the tool says so (`destructiveHint: true`), whatever else it says;
 * - `default`: the tool says neither `readOnlyHint: true` nor `destructiveHint: false`, and
 *   the MCP spec's defaults (`readOnlyHint` false, `destructiveHint` true) then make it one.
 */
export type DestructiveReason = 'claimed' | 'default';

/**
 * Annotations are the server's claims (E4), so a claim can only bring a tool back to the
 * ordinary approval, never below it: `readOnlyHint: true` or `destructiveHint: false` gives
 * the ordinary panel, and `destructiveHint: true` wins over a contradicting `readOnlyHint`.
 * Only the literal booleans count; any other value is treated as absent.
 */
export function destructiveReason(annotations: Tool['annotations']): DestructiveReason | undefined {
  const a: Record<string, unknown> = annotations ?? {};
  if (a.destructiveHint === true) {
    return 'claimed';
  }
  if (a.readOnlyHint === true || a.destructiveHint === false) {
    return undefined;
  }
  return 'default';
}
