import type { Tool } from '@modelcontextprotocol/client';
import type { PendingToolCall } from '../../src/common/approval/gate';

export const SERVER = 'https://mcp.contoso.example/mcp';

export function tool(overrides: Partial<Tool> = {}): Tool {
  return {
    name: 'get_weather',
    title: 'Weather',
    description: 'Current weather for a city',
    inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    annotations: { readOnlyHint: true, openWorldHint: true },
    ...overrides
  };
}

let n = 0;
export function call(t: Tool = tool(), args: Record<string, unknown> = { city: 'Paris' }, serverUrl = SERVER): PendingToolCall {
  return {
    id: `call-${++n}`,
    context: { serverUrl, serverLabel: 'contoso', account: { label: 'ada@contoso.example', objectId: 'oid-1', tenantId: 'tid-1' } },
    tool: t,
    args,
    origin: 'llm'
  };
}
