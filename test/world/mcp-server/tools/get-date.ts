import { text, type WorldTool } from './tool';

/** The one tool without arguments: the SDK calls it with the context alone. */
export const getDate: WorldTool = {
  name: 'get_date',
  description: 'Returns the current date and time on the server, in ISO 8601 (UTC).',
  register: ({ mcp, name, description, recorded }) => mcp.registerTool(name, {
    title: 'Current date',
    description,
    annotations: { readOnlyHint: true, openWorldHint: false }
  }, (ctx) => recorded(async () => text(new Date().toISOString()))({}, ctx))
};
