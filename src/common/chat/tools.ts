import type { Tool } from '@modelcontextprotocol/client';
import type { LlmToolSpec, ToolNameRules } from '../llm/types';

/** One server's tools as the catalog sees them. */
export interface ServerTools {
  /** Namespace for this server's tools, e.g. `contoso`; sanitised here. Unique per chat. */
  readonly name: string;
  readonly tools: readonly Tool[];
}

/** A tool as offered to the model, with the way back to the real MCP tool. */
export interface CatalogEntry {
  /** What the model calls it: `<server>__<tool>`, sanitised to the provider's rules. */
  readonly exposedName: string;
  /** `ServerTools.name` as given (not sanitised). */
  readonly server: string;
  readonly tool: Tool;
}

export interface NameCollision {
  /** The name several tools would have been offered under. */
  readonly exposedName: string;
  /** `server/tool` of each tool involved, exact. */
  readonly tools: readonly string[];
}

/**
 * Tools on different servers a person could not tell apart by name (E2): `same` is one
 * exact name offered by several servers (one could shadow another), `lookalike` names that
 * differ but share a `toolSkeleton` (confusable letters, case, separators, invisibles).
 */
export interface LookalikeGroup {
  readonly kind: 'same' | 'lookalike';
  /** `server/tool` of every tool in the group, exact, sorted. */
  readonly tools: readonly string[];
}

export interface ToolCatalog {
  /** What the model is offered, at most `maxTools`. */
  readonly entries: readonly CatalogEntry[];
  /** Exposed name → entry, for mapping calls back. Only offered tools. */
  readonly byExposedName: ReadonlyMap<string, CatalogEntry>;
  /** Tools that sanitise (or truncate) to the same name; each got a distinct suffixed name (E2). */
  readonly collisions: readonly NameCollision[];
  /** Same or look-alike names across servers, over all usable tools (not only those offered); sorted. */
  readonly lookalikes: readonly LookalikeGroup[];
  /** Tools on all servers before narrowing (the unusable ones not counted). */
  readonly total: number;
  /** Tools never offered, each with why (`server/tool` → reason). */
  readonly unusable: ReadonlyMap<string, string>;
}

export interface CatalogOptions {
  readonly rules: ToolNameRules;
  readonly maxTools: number;
  /** The user's prompt; ranks the tools when there are more than `maxTools`. */
  readonly prompt: string;
  /** `server/tool` keys used in earlier turns; kept ahead of lexical matches so follow-ups still work. */
  readonly recentlyUsed?: ReadonlySet<string>;
  /** Longest description passed on; server text is untrusted and costs tokens (E3). Default 1024. */
  readonly maxDescriptionChars?: number;
  /** A larger input schema is replaced by an open object schema for the model (the real one still validates). Default 16 KB. */
  readonly maxSchemaChars?: number;
}

/**
 * Why a tool cannot be called by this client, or undefined when it can. A tool that
 * requires task-based execution fails every plain call, so it is never offered (and a
 * direct call is refused before approval) until tasks are supported.
 */
export function unusableReason(tool: Tool): string | undefined {
  const execution = (tool as { execution?: { taskSupport?: unknown } }).execution;
  return execution?.taskSupport === 'required'
    ? 'it requires task-based execution, which Secure MCP does not run yet'
    : undefined;
}

const SEPARATOR = '__';
const MAX_NAMESPACE = 24;

export function toolKey(server: string, tool: string): string {
  return `${server}/${tool}`;
}

/**
 * Builds the list of functions for one chat turn: names namespaced per server and
 * sanitised, collisions made distinct and reported, and at most `maxTools` chosen by
 * relevance to the prompt. Deterministic for the same input.
 */
export function buildToolCatalog(servers: readonly ServerTools[], options: CatalogOptions): ToolCatalog {
  const all: { server: string; tool: Tool; order: number }[] = [];
  const unusable = new Map<string, string>();
  for (const s of servers) {
    for (const tool of s.tools) {
      const why = unusableReason(tool);
      if (why) {
        unusable.set(toolKey(s.name, tool.name), why);
      } else {
        all.push({ server: s.name, tool, order: all.length });
      }
    }
  }
  const chosen = all.length > options.maxTools ? selectRelevant(all, options) : all;
  const named = assignNames(chosen, servers, options.rules);
  const byExposedName = new Map<string, CatalogEntry>();
  for (const e of named.entries) {
    byExposedName.set(e.exposedName, e);
  }
  return { entries: named.entries, byExposedName, collisions: named.collisions, lookalikes: findLookalikes(all), total: all.length, unusable };
}

/** The function spec the model sees for one entry. */
export function toToolSpec(entry: CatalogEntry, options: Pick<CatalogOptions, 'maxDescriptionChars' | 'maxSchemaChars'> = {}): LlmToolSpec {
  const maxDescription = options.maxDescriptionChars ?? 1024;
  const maxSchema = options.maxSchemaChars ?? 16_384;
  const t = entry.tool;
  let description = [t.title && t.title !== t.name ? t.title : '', t.description ?? ''].filter(Boolean).join(': ');
  if (description.length > maxDescription) {
    description = `${description.slice(0, maxDescription)}… [description truncated]`;
  }
  const { $schema: _ignored, ...schema } = t.inputSchema as Record<string, unknown>;
  const parameters = JSON.stringify(schema).length > maxSchema
    ? { type: 'object', additionalProperties: true, description: 'The full input schema is too large to include; arguments are checked against it before the call.' }
    : schema;
  return { name: entry.exposedName, description: description || entry.tool.name, parameters };
}

/**
 * Replaces characters the provider refuses. The result may collide with another
 * tool's name; `assignNames` resolves that.
 */
export function sanitizeName(name: string, rules: ToolNameRules, maxLength = rules.maxLength): string {
  const cleaned = name.replace(rules.disallowed, '_');
  return cleaned.slice(0, Math.max(0, maxLength));
}

function assignNames(chosen: readonly { server: string; tool: Tool; order: number }[], servers: readonly ServerTools[], rules: ToolNameRules): { entries: CatalogEntry[]; collisions: NameCollision[] } {
  const namespaces = namespaceNames(servers.map(s => s.name), rules);
  // Group by the plain candidate name first, so which tool keeps the plain name does not
  // depend on list order: the one whose name needed no change wins, then the smallest.
  const groups = new Map<string, { server: string; tool: Tool; order: number; exact: boolean }[]>();
  for (const c of chosen) {
    const ns = namespaces.get(c.server)!;
    const budget = rules.maxLength - ns.length - SEPARATOR.length;
    const plain = sanitizeName(c.tool.name, rules, budget);
    const candidate = `${ns}${SEPARATOR}${plain || 'tool'}`;
    const list = groups.get(candidate) ?? [];
    list.push({ ...c, exact: plain === c.tool.name });
    groups.set(candidate, list);
  }
  const taken = new Set(groups.keys());
  const byOrder = new Map<number, CatalogEntry>();
  const collisions: NameCollision[] = [];
  for (const [candidate, list] of groups) {
    list.sort((a, b) => Number(b.exact) - Number(a.exact) || (a.tool.name < b.tool.name ? -1 : a.tool.name > b.tool.name ? 1 : a.order - b.order));
    byOrder.set(list[0]!.order, { exposedName: candidate, server: list[0]!.server, tool: list[0]!.tool });
    if (list.length > 1) {
      collisions.push({ exposedName: candidate, tools: list.map(x => toolKey(x.server, x.tool.name)) });
    }
    for (const other of list.slice(1)) {
      const ns = namespaces.get(other.server)!;
      let salt = 0;
      let name: string;
      do {
        const suffix = `_${hash(`${other.tool.name}#${salt++}`)}`;
        const budget = rules.maxLength - ns.length - SEPARATOR.length - suffix.length;
        name = `${ns}${SEPARATOR}${sanitizeName(other.tool.name, rules, budget)}${suffix}`;
      } while (taken.has(name));
      taken.add(name);
      byOrder.set(other.order, { exposedName: name, server: other.server, tool: other.tool });
    }
  }
  const entries = chosen.map(c => byOrder.get(c.order)!);
  return { entries, collisions };
}

/** Sanitised, length-limited and distinct namespaces, one per server name. */
function namespaceNames(names: readonly string[], rules: ToolNameRules): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const name of names) {
    if (out.has(name)) {
      continue;
    }
    let ns = sanitizeName(name, rules, MAX_NAMESPACE) || 'server';
    if (used.has(ns)) {
      ns = `${ns.slice(0, MAX_NAMESPACE - 7)}_${hash(name)}`;
    }
    used.add(ns);
    out.set(name, ns);
  }
  return out;
}

/** 6 hex digits of FNV-1a: short, stable across runs, good enough to tell names apart. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0').slice(0, 6);
}

// --- look-alike names -------------------------------------------------------------

// Small and explicit on purpose: the letters a server could swap in to pass as another's
// tool, not all of Unicode's confusables. Looked up before and after lowercasing, so
// capitals that only look Latin in upper case (Greek Ν, Υ; Cyrillic В, Н, М, Т) count too.
const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic
  'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'l', 'ј': 'j',
  'ѕ': 's', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'һ': 'h', 'ӏ': 'l', 'В': 'b', 'Н': 'h', 'М': 'm', 'Т': 't', 'К': 'k',
  // Greek
  'α': 'a', 'ο': 'o', 'ν': 'v', 'ι': 'l', 'κ': 'k', 'ρ': 'p', 'υ': 'u', 'χ': 'x',
  'Β': 'b', 'Ε': 'e', 'Ζ': 'z', 'Η': 'h', 'Μ': 'm', 'Ν': 'n', 'Τ': 't', 'Υ': 'y',
  // Latin and digits: i, l, 1 and | are one stroke; 0 is o.
  'i': 'l', 'ı': 'l', '1': 'l', '|': 'l', '0': 'o'
};
// Separators (a name reads the same with or without them) and characters that show nothing.
const IGNORED = /[\s._\-\u00ad\u200b-\u200d\u2060-\u2064\ufeff]/gu;

/**
 * What a tool name looks like to a person: NFKC, confusable letters mapped to ASCII,
 * lowercase, no separators or invisible characters, `rn` as `m` and `vv` as `w`. Two
 * names with the same skeleton are easy to mistake for each other.
 */
export function toolSkeleton(name: string): string {
  let out = '';
  for (const ch of name.normalize('NFKC').replace(IGNORED, '')) {
    const lower = ch.toLowerCase();
    out += CONFUSABLES[ch] ?? CONFUSABLES[lower] ?? lower;
  }
  return out.replace(/rn/g, 'm').replace(/vv/g, 'w');
}

// Like `indexCache`: the same Tool objects come back every turn.
const skeletonCache = new WeakMap<Tool, string>();

function skeletonOf(tool: Tool): string {
  let s = skeletonCache.get(tool);
  if (s === undefined) {
    s = toolSkeleton(tool.name);
    skeletonCache.set(tool, s);
  }
  return s;
}

/**
 * One Map by skeleton, so this stays linear in the tool count; equal names share a
 * skeleton, so `same` groups are found inside the (rare) groups with several members.
 * Only groups spanning servers count.
 */
function findLookalikes(all: readonly { server: string; tool: Tool }[]): LookalikeGroup[] {
  const bySkeleton = new Map<string, { server: string; tool: Tool }[]>();
  for (const a of all) {
    const skeleton = skeletonOf(a.tool);
    const list = bySkeleton.get(skeleton);
    if (list) {
      list.push(a);
    } else {
      bySkeleton.set(skeleton, [a]);
    }
  }
  const groups: LookalikeGroup[] = [];
  const servers = (list: readonly { server: string }[]) => new Set(list.map(x => x.server)).size;
  const keys = (list: readonly { server: string; tool: Tool }[]) => list.map(x => toolKey(x.server, x.tool.name)).sort(compare);
  for (const list of bySkeleton.values()) {
    if (list.length < 2 || servers(list) < 2) {
      continue;
    }
    const byName = new Map<string, { server: string; tool: Tool }[]>();
    for (const a of list) {
      const named = byName.get(a.tool.name);
      if (named) {
        named.push(a);
      } else {
        byName.set(a.tool.name, [a]);
      }
    }
    for (const same of byName.values()) {
      if (servers(same) > 1) {
        groups.push({ kind: 'same', tools: keys(same) });
      }
    }
    // Two servers and two distinct names means some pair differs in both.
    if (byName.size > 1) {
      groups.push({ kind: 'lookalike', tools: keys(list) });
    }
  }
  return groups.sort((x, y) => compare(x.kind, y.kind) || compare(x.tools.join('\n'), y.tools.join('\n')));
}

/** Code-unit order: the same everywhere, unlike `localeCompare`. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- relevance ---------------------------------------------------------------------

const STOPWORDS = new Set(('a an and are as at be by can could do does for from get give has have how i in is it me my ' +
  'of on or please show tell that the this to use using what when where which who why will with you your').split(' '));

/**
 * Lowercase word stems: splits snake_case, kebab-case and camelCase; drops stopwords.
 * A hand-written scan, since this runs over every description of a 1,000-tool server
 * each turn and a Unicode-class regex split was most of that cost.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  let word = '';
  let prevLower = false;
  const flush = () => {
    if (word.length >= 2 && !STOPWORDS.has(word)) {
      out.push(stem(word));
    }
    word = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 97 && c <= 122) {
      word += text[i];
      prevLower = true;
    } else if (c >= 65 && c <= 90) {
      if (prevLower) {
        flush();
      }
      word += String.fromCharCode(c + 32);
      prevLower = false;
    } else if (c >= 48 && c <= 57) {
      word += text[i];
      prevLower = true;
    } else if (c > 127 && /[\p{L}\p{N}]/u.test(text[i]!)) {
      word += text[i]!.toLowerCase();
      prevLower = false;
    } else {
      flush();
      prevLower = false;
    }
  }
  flush();
  return out;
}

function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) {
    return `${word.slice(0, -3)}y`;
  }
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) {
    return word.slice(0, -1);
  }
  return word;
}

interface Indexed {
  readonly nameTokens: ReadonlySet<string>;
  readonly textTokens: ReadonlySet<string>;
}

// The session keeps the same Tool objects until the list changes, so later turns reuse this.
const indexCache = new WeakMap<Tool, Indexed>();

function indexTool(tool: Tool): Indexed {
  let entry = indexCache.get(tool);
  if (!entry) {
    const nameTokens = new Set(tokenize(`${tool.name} ${tool.title ?? ''}`));
    const props = (tool.inputSchema as { properties?: Record<string, unknown> }).properties;
    const textTokens = new Set(tokenize(`${(tool.description ?? '').slice(0, 1000)} ${props ? Object.keys(props).join(' ') : ''}`));
    entry = { nameTokens, textTokens };
    indexCache.set(tool, entry);
  }
  return entry;
}

/**
 * Scores by the prompt's words found in each tool's name (weight 3) and description or
 * parameter names (weight 1), each word weighted by how rare it is among the tools, so
 * "weather" outranks "item" when only a few tools mention weather.
 */
export function relevanceScores(tools: readonly Tool[], prompt: string): number[] {
  const words = [...new Set(tokenize(prompt))];
  const indexed = tools.map(indexTool);
  if (!words.length) {
    return tools.map(() => 0);
  }
  const weight = words.map(w => {
    let df = 0;
    for (const t of indexed) {
      if (t.nameTokens.has(w) || t.textTokens.has(w)) {
        df++;
      }
    }
    return df ? Math.log(1 + tools.length / df) : 0;
  });
  return indexed.map(t => {
    let score = 0;
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (t.nameTokens.has(w)) {
        score += 3 * weight[i]!;
      } else if (t.textTokens.has(w)) {
        score += weight[i]!;
      }
    }
    return score;
  });
}

function selectRelevant<T extends { server: string; tool: Tool; order: number }>(all: readonly T[], options: CatalogOptions): T[] {
  const scores = relevanceScores(all.map(a => a.tool), options.prompt);
  const recent = options.recentlyUsed;
  const ranked = all.map((a, i) => ({ a, score: scores[i]!, recent: recent?.has(toolKey(a.server, a.tool.name)) ? 1 : 0 }));
  ranked.sort((x, y) => y.recent - x.recent || y.score - x.score || x.a.order - y.a.order);
  // Back in server order, so the model sees a stable, grouped list.
  return ranked.slice(0, options.maxTools).map(r => r.a).sort((x, y) => x.order - y.order);
}
