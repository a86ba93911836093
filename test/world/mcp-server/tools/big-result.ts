import { z } from 'zod';
import { text, type WorldTool } from './tool';

/** For the client's response size limits. */
export const bigResult: WorldTool = {
  name: 'big_result',
  description: 'Returns a text result of exactly the requested number of bytes (for testing size limits).',
  register: ({ mcp, name, description, recorded }) => mcp.registerTool(name, {
    title: 'Big result',
    description,
    inputSchema: z.object({ bytes: z.number().int().min(0).max(64 * 1024 * 1024).describe('Size of the result in bytes') }),
    annotations: { readOnlyHint: true, openWorldHint: false }
  }, recorded(async ({ bytes }: { bytes: number }) => {
    const line = 'lorem ipsum dolor sit amet 0123456789\n';
    return text(line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes));
  }))
};
