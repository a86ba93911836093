import type { Tool } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/client';

export type ArgumentCheck =
  | { readonly ok: true; readonly args: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

/** Deeper arguments are refused before validation; no tool needs anything close to it. */
const MAX_ARGUMENT_DEPTH = 64;

/** Nesting depth of a parsed JSON value, counted without recursion. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, depth] = item;
    if (v !== null && typeof v === 'object') {
      deepest = Math.max(deepest, depth);
      if (deepest > MAX_ARGUMENT_DEPTH) {
        return deepest;
      }
      for (const child of Object.values(v as Record<string, unknown>)) {
        stack.push([child, depth + 1]);
      }
    }
  }
  return deepest;
}

/**
 * Checks a model's arguments against the tool's `inputSchema` before anyone is asked
 * to approve them (docs/security.md E5). Schemas compile on first use only, since a turn
 * offers many tools and calls few.
 */
export class ArgumentValidator {
  private readonly provider = new AjvJsonSchemaValidator();
  private readonly compiled = new WeakMap<Tool, JsonSchemaValidator<unknown> | Error>();

  check(tool: Tool, rawArguments: string): ArgumentCheck {
    let parsed: unknown;
    const text = rawArguments.trim();
    try {
      // Models send "" for a call without arguments.
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      return { ok: false, reason: 'the arguments are not valid JSON' };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { ok: false, reason: 'the arguments must be a JSON object' };
    }
    if (depthOf(parsed) > MAX_ARGUMENT_DEPTH) {
      // A compiled schema validates recursively: this deep, it would overflow the stack.
      return { ok: false, reason: `the arguments are nested too deeply (more than ${MAX_ARGUMENT_DEPTH} levels)` };
    }
    const validate = this.validatorFor(tool);
    if (validate instanceof Error) {
      // Fail closed: a call we cannot check is not sent.
      return { ok: false, reason: `the tool's input schema cannot be used for checking (${validate.message.slice(0, 200)})` };
    }
    let result: ReturnType<JsonSchemaValidator<unknown>>;
    try {
      result = validate(parsed);
    } catch (e) {
      // E8: whatever a validator throws, the answer is the same: not checked, so not sent.
      return { ok: false, reason: `the arguments cannot be checked against the tool's input schema (${e instanceof Error ? e.name : 'error'})` };
    }
    return result.valid ? { ok: true, args: parsed as Record<string, unknown> } : { ok: false, reason: result.errorMessage.slice(0, 1000) };
  }

  private validatorFor(tool: Tool): JsonSchemaValidator<unknown> | Error {
    let v = this.compiled.get(tool);
    if (!v) {
      try {
        // `$id` would let one tool's schema be looked up in place of another's in Ajv's
        // shared cache; `$schema` only names a dialect. Neither is needed to validate.
        const { $id: _id, $schema: _schema, ...schema } = tool.inputSchema as Record<string, unknown>;
        v = this.provider.getValidator<unknown>(schema as JsonSchemaType);
      } catch (e) {
        v = e instanceof Error ? e : new Error(String(e));
      }
      this.compiled.set(tool, v);
    }
    return v;
  }
}
