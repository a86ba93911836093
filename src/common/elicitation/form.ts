/**
 * The requested schema of a form-mode elicitation, turned into a form the webview can
 * render and a validator for what the user submits (docs/security.md D6). The schema comes
 * from the server, so everything is read defensively: unknown or malformed parts make
 * the request unusable rather than half-rendered.
 */

export interface EnumOption {
  readonly value: string;
  readonly title: string;
}

interface FieldBase {
  readonly name: string;
  readonly title: string;
  readonly description?: string;
  readonly required: boolean;
}

export type FormField =
  | FieldBase & { readonly kind: 'string'; readonly format?: 'email' | 'uri' | 'date' | 'date-time'; readonly minLength?: number; readonly maxLength?: number; readonly default?: string }
  | FieldBase & { readonly kind: 'number' | 'integer'; readonly minimum?: number; readonly maximum?: number; readonly default?: number }
  | FieldBase & { readonly kind: 'boolean'; readonly default?: boolean }
  | FieldBase & { readonly kind: 'enum'; readonly options: readonly EnumOption[]; readonly default?: string }
  | FieldBase & { readonly kind: 'multiEnum'; readonly options: readonly EnumOption[]; readonly minItems?: number; readonly maxItems?: number; readonly default?: readonly string[] };

export interface FormModel {
  readonly fields: readonly FormField[];
}

export type FormModelResult = { readonly ok: true; readonly model: FormModel } | { readonly ok: false; readonly error: string };

/** Raw values from the webview: strings from inputs, booleans from checkboxes, lists from multi-selects. */
export type FormValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

export type FormContent = Record<string, string | number | boolean | string[]>;

export type FormValidation =
  | { readonly ok: true; readonly content: FormContent }
  | { readonly ok: false; readonly errors: Readonly<Record<string, string>> };

const MAX_FIELDS = 50;
const MAX_OPTIONS = 500;
const FORMATS = new Set(['email', 'uri', 'date', 'date-time']);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function nonNegInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

export function buildFormModel(schema: unknown): FormModelResult {
  if (!isObj(schema) || (schema.type !== undefined && schema.type !== 'object')) {
    return { ok: false, error: 'the requested schema is not an object schema' };
  }
  const properties = schema.properties === undefined ? {} : schema.properties;
  if (!isObj(properties)) {
    return { ok: false, error: 'the requested schema has no valid properties' };
  }
  const names = Object.keys(properties);
  if (names.length > MAX_FIELDS) {
    return { ok: false, error: `the requested schema has more than ${MAX_FIELDS} fields` };
  }
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
  for (const r of required) {
    if (!names.includes(r)) {
      return { ok: false, error: `required field ${JSON.stringify(r)} is not defined` };
    }
  }
  const fields: FormField[] = [];
  for (const name of names) {
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') {
      return { ok: false, error: `field name ${JSON.stringify(name)} is not allowed` };
    }
    const field = buildField(name, properties[name], required.has(name));
    if (typeof field === 'string') {
      return { ok: false, error: `field ${JSON.stringify(name)}: ${field}` };
    }
    fields.push(field);
  }
  return { ok: true, model: { fields } };
}

function enumOptions(p: Obj): EnumOption[] | string | undefined {
  const list = Array.isArray(p.oneOf) ? p.oneOf : Array.isArray(p.anyOf) ? p.anyOf : undefined;
  if (list) {
    const out: EnumOption[] = [];
    for (const o of list) {
      if (!isObj(o) || typeof o.const !== 'string') {
        return 'an option has no string const';
      }
      out.push({ value: o.const, title: str(o.title) ?? o.const });
    }
    return out;
  }
  if (Array.isArray(p.enum)) {
    if (!p.enum.every(v => typeof v === 'string')) {
      return 'enum values must be strings';
    }
    const titles = Array.isArray(p.enumNames) ? p.enumNames : undefined;
    return (p.enum as string[]).map((value, i) => ({ value, title: typeof titles?.[i] === 'string' ? titles[i] as string : value }));
  }
  return undefined;
}

function buildField(name: string, raw: unknown, required: boolean): FormField | string {
  if (!isObj(raw)) {
    return 'is not a schema';
  }
  const base: FieldBase = { name, title: str(raw.title) ?? name, description: str(raw.description), required };
  switch (raw.type) {
    case 'string': {
      const options = enumOptions(raw);
      if (typeof options === 'string') {
        return options;
      }
      if (options) {
        if (!options.length || options.length > MAX_OPTIONS) {
          return `must have 1 to ${MAX_OPTIONS} options`;
        }
        const d = str(raw.default);
        return { ...base, kind: 'enum', options, default: d !== undefined && options.some(o => o.value === d) ? d : undefined };
      }
      const format = str(raw.format);
      if (format !== undefined && !FORMATS.has(format)) {
        return `unsupported format ${JSON.stringify(format)}`;
      }
      return {
        ...base,
        kind: 'string',
        format: format as 'email' | 'uri' | 'date' | 'date-time' | undefined,
        minLength: nonNegInt(raw.minLength),
        maxLength: nonNegInt(raw.maxLength),
        default: str(raw.default)
      };
    }
    case 'number':
    case 'integer': {
      const d = num(raw.default);
      return { ...base, kind: raw.type, minimum: num(raw.minimum), maximum: num(raw.maximum), default: d !== undefined && (raw.type === 'number' || Number.isInteger(d)) ? d : undefined };
    }
    case 'boolean':
      return { ...base, kind: 'boolean', default: typeof raw.default === 'boolean' ? raw.default : undefined };
    case 'array': {
      if (!isObj(raw.items)) {
        return 'an array needs items';
      }
      const options = enumOptions(raw.items);
      if (!options || typeof options === 'string' || !options.length || options.length > MAX_OPTIONS) {
        return 'only multi-select lists of string options are supported';
      }
      const d = Array.isArray(raw.default) ? raw.default.filter((v): v is string => typeof v === 'string' && options.some(o => o.value === v)) : undefined;
      return { ...base, kind: 'multiEnum', options, minItems: nonNegInt(raw.minItems), maxItems: nonNegInt(raw.maxItems), default: d };
    }
    default:
      return `unsupported type ${JSON.stringify(raw.type)}`;
  }
}

/** The initial values of the form: defaults applied, nothing else filled in. */
export function initialValues(model: FormModel): Record<string, string | boolean | string[]> {
  const out: Record<string, string | boolean | string[]> = {};
  for (const f of model.fields) {
    switch (f.kind) {
      case 'boolean':
        out[f.name] = f.default ?? false;
        break;
      case 'multiEnum':
        out[f.name] = [...(f.default ?? [])];
        break;
      case 'number':
      case 'integer':
        out[f.name] = f.default === undefined ? '' : String(f.default);
        break;
      default:
        out[f.name] = f.default ?? '';
    }
  }
  return out;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

function validDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) {
    return false;
  }
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

function checkFormat(format: string | undefined, v: string): string | undefined {
  switch (format) {
    case 'email':
      return EMAIL.test(v) ? undefined : 'Enter an email address.';
    case 'uri': {
      try {
        new URL(v);
        return undefined;
      } catch {
        return 'Enter a full URL, for example https://example.com.';
      }
    }
    case 'date':
      return validDate(v) ? undefined : 'Enter a date as YYYY-MM-DD.';
    case 'date-time': {
      const m = DATE_TIME.exec(v);
      return m && validDate(m[1]) && Number(m[2]) < 24 && Number(m[3]) < 60 ? undefined : 'Enter a date and time as YYYY-MM-DDThh:mm:ssZ.';
    }
    default:
      return undefined;
  }
}

/**
 * Checks a submitted form against the model and returns typed content. Field names
 * not in the schema are rejected, so the webview cannot smuggle extra keys.
 */
export function validateForm(model: FormModel, values: FormValues): FormValidation {
  // Null prototypes: keys come from the page and the server, and "__proto__" must stay a plain key.
  const errors: Record<string, string> = Object.create(null) as Record<string, string>;
  const content: FormContent = Object.create(null) as FormContent;
  const known = new Set(model.fields.map(f => f.name));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) {
      errors[key] = 'Unknown field.';
    }
  }
  for (const f of model.fields) {
    const raw = Object.prototype.hasOwnProperty.call(values, f.name) ? values[f.name] : undefined;
    const error = validateField(f, raw, content);
    if (error) {
      errors[f.name] = error;
    }
  }
  return Object.keys(errors).length ? { ok: false, errors: { ...errors } } : { ok: true, content: { ...content } };
}

function validateField(f: FormField, raw: FormValues[string], content: FormContent): string | undefined {
  // An empty list is "nothing chosen": fine for an optional multi-select whatever its
  // minItems, which only bounds a list the user did choose; a required one is checked below.
  const empty = raw === undefined || raw === '' || (Array.isArray(raw) && raw.length === 0 && !(f.kind === 'multiEnum' && f.required));
  if (f.kind === 'boolean') {
    if (raw === undefined) {
      if (f.required) {
        return 'Required.';
      }
      return undefined;
    }
    if (typeof raw !== 'boolean') {
      return 'Must be true or false.';
    }
    content[f.name] = raw;
    return undefined;
  }
  if (empty) {
    return f.required ? 'Required.' : undefined;
  }
  switch (f.kind) {
    case 'string': {
      if (typeof raw !== 'string') {
        return 'Must be text.';
      }
      const length = [...raw].length;
      if (f.minLength !== undefined && length < f.minLength) {
        return `Must be at least ${f.minLength} characters.`;
      }
      if (f.maxLength !== undefined && length > f.maxLength) {
        return `Must be at most ${f.maxLength} characters.`;
      }
      const bad = checkFormat(f.format, raw);
      if (bad) {
        return bad;
      }
      content[f.name] = raw;
      return undefined;
    }
    case 'number':
    case 'integer': {
      if (typeof raw !== 'string' || !/^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(raw)) {
        return f.kind === 'integer' ? 'Must be a whole number.' : 'Must be a number.';
      }
      const n = Number(raw);
      if (!Number.isFinite(n) || (f.kind === 'integer' && !Number.isSafeInteger(n))) {
        return f.kind === 'integer' ? 'Must be a whole number.' : 'Must be a number.';
      }
      if (f.minimum !== undefined && n < f.minimum) {
        return `Must be at least ${f.minimum}.`;
      }
      if (f.maximum !== undefined && n > f.maximum) {
        return `Must be at most ${f.maximum}.`;
      }
      content[f.name] = n;
      return undefined;
    }
    case 'enum': {
      if (typeof raw !== 'string' || !f.options.some(o => o.value === raw)) {
        return 'Choose one of the options.';
      }
      content[f.name] = raw;
      return undefined;
    }
    case 'multiEnum': {
      if (!Array.isArray(raw) || !raw.every(v => typeof v === 'string' && f.options.some(o => o.value === v))) {
        return 'Choose from the options.';
      }
      const unique = [...new Set(raw as string[])];
      if (f.required && unique.length === 0) {
        return 'Required.';
      }
      if (f.minItems !== undefined && unique.length < f.minItems) {
        return `Choose at least ${f.minItems}.`;
      }
      if (f.maxItems !== undefined && unique.length > f.maxItems) {
        return `Choose at most ${f.maxItems}.`;
      }
      if (unique.length || f.required) {
        content[f.name] = unique;
      }
      return undefined;
    }
  }
}
