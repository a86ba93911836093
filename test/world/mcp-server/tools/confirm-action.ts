import { inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { WorldTool } from './tool';

/** The one input request confirm_action makes, by its key in `inputRequests`/`inputResponses`. */
const CONFIRM = 'confirm';

/**
 * Elicitation in both modes: a form the client renders, or a page of ours the client opens.
 * Written once as a multi round-trip handler: on 2026-07-28 the client answers `input_required`
 * and retries the call with the response; on a 2025 session the SDK's legacy shim sends the
 * `elicitation/create` request itself (related to the call, so it rides the call's own response
 * stream) and re-enters the handler with the answer. A client that did not declare the needed
 * elicitation capability is refused by the SDK: an `isError` result on 2025, -32021 on 2026.
 */
export const confirmAction: WorldTool = {
  name: 'confirm_action',
  description: 'Asks the user (through an elicitation form) to confirm an action and returns what they chose.',
  register: ({ mcp, name, description, recorded, origin }) => mcp.registerTool(name, {
    title: 'Confirm an action',
    description,
    inputSchema: z.object({
      action: z.string().min(1).max(500).describe('What the user is asked to confirm'),
      via: z.enum(['form', 'url']).optional().describe('How to ask: a form (default), or a web page the user opens')
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false }
  }, recorded(async ({ action, via }: { action: string; via?: 'form' | 'url' }, _signal, ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, CONFIRM);
    if (answer.kind !== 'elicit') {
      return inputRequired({
        inputRequests: {
          [CONFIRM]: via === 'url'
            // URL mode: the user confirms on a page of ours; the client only opens it, with consent.
            ? inputRequired.elicitUrl({ message: `Confirm on the server's page: ${action}`, url: `${origin}/confirm?action=${encodeURIComponent(action)}` })
            : inputRequired.elicit({
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
            })
        }
      });
    }
    const summary = answer.action === 'accept'
      ? `accepted: ${JSON.stringify(answer.content ?? {})}`
      : answer.action === 'decline' ? 'declined' : 'cancelled';
    return { content: [{ type: 'text', text: summary }], structuredContent: { action: answer.action, content: answer.content ?? null } };
  }))
};
