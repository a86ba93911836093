import * as crypto from 'node:crypto';
import { z } from 'zod';
import { text, type WorldTool } from './tool';

/** Elicitation in both modes: a form the client renders, or a page of ours the client opens. */
export const confirmAction: WorldTool = {
  name: 'confirm_action',
  description: 'Asks the user (through an elicitation form) to confirm an action and returns what they chose.',
  register: ({ mcp, name, description, recorded, origin }) => mcp.registerTool(name, {
    title: 'Confirm an action',
    description,
    inputSchema: {
      action: z.string().min(1).max(500).describe('What the user is asked to confirm'),
      via: z.enum(['form', 'url']).optional().describe('How to ask: a form (default), or a web page the user opens')
    },
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false }
  }, recorded(async ({ action, via }: { action: string; via?: 'form' | 'url' }, signal, extra) => {
    if (!mcp.server.getClientCapabilities()?.elicitation) {
      return { ...text('The client does not support elicitation.'), isError: true };
    }
    const result = via === 'url' ? await mcp.server.elicitInput({
      // URL mode: the user confirms on a page of ours; the client only opens it, with consent.
      mode: 'url',
      message: `Confirm on the server's page: ${action}`,
      url: `${origin}/confirm?action=${encodeURIComponent(action)}`,
      elicitationId: crypto.randomUUID()
    }, { relatedRequestId: extra.requestId, signal }) : await mcp.server.elicitInput({
      mode: 'form',
      message: `Please confirm: ${action}`,
      requestedSchema: {
        type: 'object',
        properties: {
          reason: { type: 'string', title: 'Reason', description: 'Why this action is needed', minLength: 1, maxLength: 200, default: 'Routine maintenance' },
          quantity: { type: 'integer', title: 'Quantity', minimum: 1, maximum: 10, default: 1 },
          budget: { type: 'number', title: 'Budget (EUR)', minimum: 0, default: 9.5 },
          notify: { type: 'boolean', title: 'Notify the team', default: true },
          priority: { type: 'string', title: 'Priority', enum: ['low', 'normal', 'high'], default: 'normal' }
        },
        required: ['reason', 'priority']
      }
      // Related to the tool call, so the request rides the call's own response stream and
      // does not depend on the client's standalone GET stream being open yet.
    }, { relatedRequestId: extra.requestId, signal });
    const summary = result.action === 'accept'
      ? `accepted: ${JSON.stringify(result.content ?? {})}`
      : result.action === 'decline' ? 'declined' : 'cancelled';
    return { content: [{ type: 'text', text: summary }], structuredContent: { action: result.action, content: result.content ?? null } };
  }))
};
