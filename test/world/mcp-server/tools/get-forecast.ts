import { z } from 'zod';
import type { WorldTool } from './tool';
import { weatherFor } from './weather';

/** The tool with an `outputSchema`, and the one the broken-structured-output fault hits. */
export const getForecast: WorldTool = {
  name: 'get_forecast',
  description: 'Returns a multi-day weather forecast for a city as structured data.',
  register: ({ mcp, name, description, recorded, breakStructuredOutput }) => mcp.registerTool(name, {
    title: 'Forecast',
    description,
    inputSchema: z.object({
      city: z.string().min(1).max(100).describe('City name'),
      days: z.number().int().min(1).max(7).default(3).describe('Number of days (1–7)')
    }),
    outputSchema: z.object({
      city: z.string(),
      days: z.array(z.object({ date: z.string(), condition: z.string(), highC: z.number(), lowC: z.number() }))
    }),
    annotations: { readOnlyHint: true, openWorldHint: true }
  }, recorded(async ({ city, days }: { city: string; days: number }, _signal, ctx) => {
    breakStructuredOutput(ctx.mcpReq.id);
    const start = Date.now();
    const forecast = {
      city,
      days: Array.from({ length: days }, (_, i) => {
        const w = weatherFor(city, i);
        return {
          date: new Date(start + i * 86_400_000).toISOString().slice(0, 10),
          condition: w.condition,
          highC: w.temperatureC + 3,
          lowC: w.temperatureC - 4
        };
      })
    };
    return { content: [{ type: 'text', text: JSON.stringify(forecast) }], structuredContent: forecast };
  }))
};
