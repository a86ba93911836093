/**
 * The one place server-chosen text enters the chat: tool definitions, results, progress
 * and errors pass through the server's redactor here, before the model, the chat view,
 * the log, the approval panel or the audit trail can see them (docs/security.md A2).
 */
import type { Tool } from '@modelcontextprotocol/client';
import { maskError, maskValue } from '../log';
import type { ToolSession } from './toolCalls';

export type Redact = (text: string) => string;

/**
 * `session` as the chat uses it: everything it returns or reports is masked by `redact`,
 * the auth fetch's, which knows the exact tokens it sent (a server may echo an opaque
 * token no pattern recognises) as well as the credential patterns.
 */
export function maskedSession(session: ToolSession, redact: Redact): ToolSession {
  return {
    listTools: async signal => {
      try {
        return (await session.listTools(signal)).map(t => maskedTool(t, redact));
      } catch (e) {
        throw maskError(e, redact);
      }
    },
    callTool: async (name, args, options = {}) => {
      const { onProgress, ...rest } = options;
      try {
        const result = await session.callTool(name, args, {
          ...rest,
          ...(onProgress ? { onProgress: p => onProgress(maskValue(p, redact)) } : {})
        });
        return maskValue(result, redact);
      } catch (e) {
        throw maskError(e, redact);
      }
    }
  };
}

// Masked definitions are kept per redactor and per listed Tool, so later turns get the same
// objects and the catalog's and validator's caches (keyed by Tool) keep working. A tool list
// can only echo tokens sent before it arrived, which the redactor knew when it first masked it.
const maskedTools = new WeakMap<Redact, WeakMap<Tool, Tool>>();

/** The name stays as listed: the call is addressed by it. */
function maskedTool(tool: Tool, redact: Redact): Tool {
  let byTool = maskedTools.get(redact);
  if (!byTool) {
    byTool = new WeakMap();
    maskedTools.set(redact, byTool);
  }
  let masked = byTool.get(tool);
  if (!masked) {
    masked = { ...maskValue(tool, redact), name: tool.name };
    byTool.set(tool, masked);
  }
  return masked;
}
