import { z } from 'zod';
import { text, type WorldTool } from './tool';

/** The destructive one: its annotations are what the approval step must show. */
export const deleteItem: WorldTool = {
  name: 'delete_item',
  description: 'Permanently deletes the item with the given id. This cannot be undone.',
  register: ({ mcp, name, description, recorded }) => mcp.registerTool(name, {
    title: 'Delete item',
    description,
    inputSchema: z.object({ id: z.string().min(1).max(200).describe('Id of the item to delete') }),
    annotations: { destructiveHint: true, readOnlyHint: false, idempotentHint: true, openWorldHint: false }
  }, recorded(async ({ id }: { id: string }) => text(`Deleted item ${id}.`)))
};
