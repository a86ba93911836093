import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';

export type ArgumentCheck =
  | { readonly ok: true; readonly args: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

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
    const validate = this.validatorFor(tool);
    if (validate instanceof Error) {
      // Fail closed: a call we cannot check is not sent.
      return { ok: false, reason: `the tool's input schema cannot be used for checking (${validate.message.slice(0, 200)})` };
    }
    const result = validate(parsed);
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
