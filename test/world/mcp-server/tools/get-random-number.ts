import * as crypto from 'node:crypto';
import { z } from 'zod';
import { text, type WorldTool } from './tool';

export const getRandomNumber: WorldTool = {
  name: 'get_random_number',
  description: 'Returns a random integer between min and max, inclusive.',
  register: ({ mcp, name, description, recorded }) => mcp.registerTool(name, {
    title: 'Random number',
    description,
    inputSchema: z.object({ min: z.number().int().describe('Smallest allowed value'), max: z.number().int().describe('Largest allowed value') }),
    annotations: { readOnlyHint: true, openWorldHint: false }
  }, recorded(async ({ min, max }: { min: number; max: number }) => {
    if (min > max) {
      return { ...text('min must not be greater than max'), isError: true };
    }
    return text(String(crypto.randomInt(min, max + 1)));
  }))
};
