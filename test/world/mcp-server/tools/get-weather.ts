import { z } from 'zod';
import { text, type WorldTool } from './tool';
import { weatherFor } from './weather';

export const getWeather: WorldTool = {
  name: 'get_weather',
  description: 'Returns the current weather for a city: condition and temperature in °C.',
  register: ({ mcp, name, description, recorded }) => mcp.registerTool(name, {
    title: 'Weather',
    description,
    inputSchema: z.object({ city: z.string().min(1).max(100).describe('City name, e.g. "Paris"') }),
    annotations: { readOnlyHint: true, openWorldHint: true }
  }, recorded(async ({ city }: { city: string }) => {
    const w = weatherFor(city);
    return text(`Weather in ${city}: ${w.condition}, ${w.temperatureC} °C`);
  }))
};
