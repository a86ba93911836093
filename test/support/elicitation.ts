import type { ElicitationHandler } from '../../src/node/mcp/elicitation';

/** Accepts every elicitation: a form with each default its schema declares, a URL as opened. */
export const acceptDefaults: ElicitationHandler = async request => {
  if (request.mode === 'url') {
    return { action: 'accept' };
  }
  const content: Record<string, string | number | boolean | string[]> = {};
  const schema = 'requestedSchema' in request ? request.requestedSchema : undefined;
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    const value = (prop as { default?: unknown }).default;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || Array.isArray(value)) {
      content[name] = value as string | number | boolean | string[];
    }
  }
  return { action: 'accept', content };
};
