import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

/*
 * The project carries its own docs: every requirement id the code cites (`security.md A2`,
 * `(B1–B3, A4)`, a test titled '… (A10)') must be defined in docs/security.md, every
 * `docs/….md#heading` mention must resolve, and product code must not point at notes
 * outside the repository by a bare file name.
 */

const root = path.join(__dirname, '../../..');
const SCANNED_DIRS = ['src', 'media', 'test'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'out', '.vscode-test', 'results', 'test-results']);
const CODE_EXT = /\.(?:[cm]?ts|[cm]js)$/;
const SCANNED_EXT = /\.(?:[cm]?ts|[cm]js|ya?ml|css)$/;
/** Team notes that once lived outside the repository; now only `docs/<name>` is valid. */
const NOTES = ['security', 'entra', 'design', 'testing', 'entra-emulator', 'protocol-2026', 'style'];

interface Segment {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

interface Citation {
  readonly id: string;
  readonly where: string;
}

/** This file quotes bad citations and links on purpose, for its self-tests. */
const SELF = path.resolve(__filename);

function walk(dir: string, ext: RegExp, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) {
    return out;
  }
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) {
        walk(full, ext, out);
      }
    } else if (ext.test(entry.name) && path.resolve(full) !== SELF) {
      out.push(full);
    }
  }
  return out;
}

const rel = (file: string) => path.relative(root, file).split(path.sep).join('/');

/** A comment's lines without their `//`, `/*`, `*` and `*\/` decoration, each with its line number. */
function commentLines(file: string, text: string, startLine: number): Segment[] {
  return text.split(/\r?\n/).map((raw, i) => ({
    file,
    line: startLine + i,
    text: raw.replace(/^\s*(?:\/\/+|\/\*+|\*+(?!\/))?/, '').replace(/\*+\/\s*$/, '')
  }));
}

const TEST_FUNCTIONS = new Set(['describe', 'it', 'suite', 'test', 'context', 'specify']);
/** After these tokens a `/` starts a regular expression, elsewhere it divides. */
const REGEX_AFTER = new Set(['', '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^',
  'return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await']);

interface Lexeme {
  readonly pos: number;
  readonly text: string;
}

/**
 * The comments and test titles (`describe('…'`, `it.skip('…'` and so on) of TypeScript or
 * JavaScript source. A small lexer rather than the TypeScript parser, which would cost
 * seconds: it knows strings, nested template literals and regular expressions well enough
 * that none of them is mistaken for a comment.
 */
function scanCode(source: string): { comments: Lexeme[]; titles: Lexeme[] } {
  const comments: Lexeme[] = [];
  const titles: Lexeme[] = [];
  const recent: string[] = [];
  const templates: { start: number; title: boolean; parts: string[]; depth: number }[] = [];
  const n = source.length;
  let depth = 0;
  let inTemplate = false;
  let i = source.startsWith('#!') ? source.indexOf('\n') : 0;
  const emit = (token: string) => {
    recent.push(token);
    if (recent.length > 5) {
      recent.shift();
    }
  };
  /** The next literal is a test title: `it(` or `describe.skip(`, not a method such as zod's `.describe(`. */
  const titleNext = () => {
    const [last, callee, dot, object, before] = [...recent].reverse();
    return last === '(' && (TEST_FUNCTIONS.has(callee ?? '') ? dot !== '.'
      : (callee === 'skip' || callee === 'only') && dot === '.' && TEST_FUNCTIONS.has(object ?? '') && before !== '.');
  };
  const literal = (pos: number, text: string, title: boolean) => {
    if (title) {
      titles.push({ pos, text });
    }
    emit('"');
  };
  while (i >= 0 && i < n) {
    const template = templates.at(-1);
    if (inTemplate && template) {
      let part = '';
      while (i < n && source[i] !== '`' && !(source[i] === '$' && source[i + 1] === '{')) {
        part += source[i] === '\\' ? source[++i] ?? '' : source[i];
        i++;
      }
      template.parts.push(part);
      inTemplate = false;
      if (source[i] === '$') {
        template.depth = depth++;
        i += 2;
        emit('{');
      } else {
        i++;
        templates.pop();
        literal(template.start, template.parts.join(' '), template.title);
      }
      continue;
    }
    const c = source[i] ?? '';
    const next = source[i + 1];
    if (c === '/' && (next === '/' || next === '*')) {
      const close = next === '/' ? source.indexOf('\n', i) : source.indexOf('*/', i + 2);
      const end = close < 0 ? n : next === '/' ? close : close + 2;
      comments.push({ pos: i, text: source.slice(i, end) });
      i = end;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      while (j < n && source[j] !== c && source[j] !== '\n') {
        text += source[j] === '\\' ? source[++j] ?? '' : source[j];
        j++;
      }
      literal(i, text, titleNext());
      i = j + 1;
    } else if (c === '`') {
      templates.push({ start: i, title: titleNext(), parts: [], depth: -1 });
      inTemplate = true;
      i++;
    } else if (c === '/') {
      let j = i + 1;
      let inClass = false;
      if (REGEX_AFTER.has(recent.at(-1) ?? '')) {
        for (; j < n && source[j] !== '\n'; j++) {
          const ch = source[j];
          if (ch === '\\') {
            j++;
          } else if (ch === '[' || ch === ']') {
            inClass = ch === '[';
          } else if (ch === '/' && !inClass) {
            break;
          }
        }
      }
      if (j > i + 1 && source[j] === '/') {
        i = j + 1;
        while (/[a-z]/i.test(source[i] ?? '')) {
          i++;
        }
        emit('/re/');
      } else {
        emit('/');
        i++;
      }
    } else if (/[\w$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w$]/.test(source[j] ?? '')) {
        j++;
      }
      emit(source.slice(i, j));
      i = j;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      i++;
      if (c === '{') {
        depth++;
      } else if (c === '}' && --depth === templates.at(-1)?.depth) {
        inTemplate = true;
        continue;
      }
      emit(c);
    }
  }
  return { comments, titles };
}

/** Comments and test titles of a TypeScript or JavaScript file: the only places a citation counts. */
function codeSegments(file: string, source: string): Segment[] {
  const lineStarts = [0, ...[...source.matchAll(/\n/g)].map(m => m.index + 1)];
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= pos) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo + 1;
  };
  const { comments, titles } = scanCode(source);
  return [
    ...comments.flatMap(c => commentLines(file, c.text, lineOf(c.pos))),
    ...titles.map(t => ({ file, line: lineOf(t.pos), text: t.text }))
  ];
}

/** YAML `#` comments and CSS block comments. */
function otherSegments(file: string, source: string): Segment[] {
  if (file.endsWith('.css')) {
    const out: Segment[] = [];
    for (const m of source.matchAll(/\/\*[\s\S]*?\*\//g)) {
      out.push(...commentLines(file, m[0], source.slice(0, m.index).split('\n').length));
    }
    return out;
  }
  return source.split(/\r?\n/).flatMap((line, i) => {
    const m = /(?:^|\s)#(.*)$/.exec(line);
    return m ? [{ file, line: i + 1, text: m[1] ?? '' }] : [];
  });
}

/** Markdown prose: everything outside fenced blocks and inline code spans. */
function markdownSegments(file: string, source: string): Segment[] {
  let fenced = false;
  return source.split(/\r?\n/).flatMap((line, i) => {
    if (/^\s*(?:```|~~~)/.test(line)) {
      fenced = !fenced;
      return [];
    }
    return fenced ? [] : [{ file, line: i + 1, text: line.replace(/`[^`]*`/g, ' ') }];
  });
}

function segmentsOf(file: string, source: string): Segment[] {
  if (file.endsWith('.md')) {
    return markdownSegments(file, source);
  }
  return CODE_EXT.test(file) ? codeSegments(file, source) : otherSegments(file, source);
}

// A requirement id is a section letter and a number from 1: A2, B10. Right after the
// name of the requirements file any capital letter counts, so a mistyped section is caught.
const ID = String.raw`[A-F][1-9]\d?\b`;
const ANY_ID = String.raw`[A-Z][1-9]\d?\b`;
const range = (id: string) => String.raw`${id}(?:\s*[–—-]\s*${id})?`;
const list = (id: string) => String.raw`${range(id)}(?:\s*(?:,|and|&)\s*${range(id)})*`;

/** The forms in which ids are cited; each captures a list such as "B1–B3, A4". */
const CITATION_FORMS: readonly RegExp[] = [
  new RegExp(String.raw`(?:docs\/)?security\.md\s*[(:]?\s*(${list(ANY_ID)})`, 'g'), // security.md A2, security.md (A4–A10)
  new RegExp(String.raw`\(\s*(?:see\s+)?(${list(ID)})\s*(?=[),;:])`, 'g'), // (A9), (B1–B3, A4), (C7: …), (E5, control case)
  new RegExp(String.raw`\[\s*(${list(ID)})\s*\]`, 'g'), // [A2]
  new RegExp(String.raw`\brequirements?\s+(${list(ID)})`, 'gi'), // requirement A7
  new RegExp(String.raw`^\s*(${list(ID)})\s*:`, 'g'), // A10: at the start of a comment line
  new RegExp(String.raw`\b(${ID})-safe\b`, 'g'), // B5-safe
  new RegExp(String.raw`\b(${list(ID)})\s+(?:[\w-]+\s+)?(?:checks?|rules?)\b`, 'g') // the B5 private-address check
];

/** Text right before a hit that makes an F-number a keyboard key: "Command Palette (F1)". */
const KEY_CONTEXT = /\b(?:palette|press(?:es|ing)?|keys?|keyboard|shortcut|hit)\s*$/i;

function expand(item: string): string[] {
  const m = /^([A-Z])(\d+)(?:\s*[–—-]\s*([A-Z])(\d+))?$/.exec(item.trim());
  if (!m) {
    return [];
  }
  const [, letter, from, toLetter, to] = m;
  if (!toLetter || !to) {
    return [`${letter}${from}`];
  }
  if (toLetter !== letter || Number(to) < Number(from) || Number(to) - Number(from) > 30) {
    return [`${letter}${from}`, `${toLetter}${to}`];
  }
  return Array.from({ length: Number(to) - Number(from) + 1 }, (_, i) => `${letter}${Number(from) + i}`);
}

/** Every requirement id cited in one file's comments, test titles (or Markdown prose). */
function extractCitations(file: string, source: string): Citation[] {
  const out = new Map<string, Citation>();
  for (const seg of segmentsOf(file, source)) {
    for (const form of CITATION_FORMS) {
      for (const m of seg.text.matchAll(form)) {
        const ids = (m[1] ?? '').split(/\s*(?:,|and|&)\s*/).flatMap(expand);
        if (ids.every(id => id.startsWith('F')) && KEY_CONTEXT.test(seg.text.slice(0, m.index))) {
          continue;
        }
        for (const id of ids) {
          const where = `${file}:${seg.line}`;
          out.set(`${where} ${id}`, { id, where });
        }
      }
    }
  }
  return [...out.values()];
}

/** Ids defined in a requirements document: lines such as `- **A1** …`. */
function definedIds(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^\s*[-*]\s+\*\*([A-Z][1-9]\d?)\*\*/gm)].map(m => m[1] ?? ''));
}

const unresolved = (citations: readonly Citation[], defined: ReadonlySet<string>) =>
  citations.filter(c => !defined.has(c.id)).map(c => `${c.where}: ${c.id}`);

/** GitHub's anchor for a heading: lower case, punctuation dropped (but - and _), each space a -. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split(/\r?\n/)) {
    if (/^\s*(?:```|~~~)/.test(line)) {
      fenced = !fenced;
    }
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) {
      const base = slug(m[1] ?? '');
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      anchors.add(n ? `${base}-${n}` : base);
    }
  }
  return anchors;
}

/** Doc mentions in code (`docs/entra.md#scopes`, `/docs/testing.md`), from the repository root. */
const DOC_MENTION = /(?<![\w./-])\/?(docs\/[\w./-]*?\.md)(?![\w-])(#[\w-]+)?/g;
/** Relative Markdown link targets: `](entra.md#scopes)`, `](#scopes)`, `](media/x.png)`. */
const MD_LINK = /\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

interface DocRef {
  readonly where: string;
  readonly file: string;
  readonly fragment?: string;
}

function brokenRefs(refs: readonly DocRef[], read: (file: string) => string | undefined): string[] {
  const problems: string[] = [];
  for (const ref of refs) {
    const text = read(ref.file);
    if (text === undefined) {
      problems.push(`${ref.where}: ${rel(ref.file)} does not exist`);
    } else if (ref.fragment && ref.file.endsWith('.md') && !anchorsOf(text).has(ref.fragment.toLowerCase())) {
      problems.push(`${ref.where}: ${rel(ref.file)} has no heading #${ref.fragment}`);
    }
  }
  return problems;
}

function codeDocRefs(file: string, source: string): DocRef[] {
  return source.split(/\r?\n/).flatMap((line, i) =>
    [...line.matchAll(DOC_MENTION)].map(m => ({
      where: `${rel(file)}:${i + 1}`,
      file: path.join(root, m[1] ?? ''),
      ...(m[2] ? { fragment: m[2].slice(1) } : {})
    })));
}

function markdownLinkRefs(file: string, source: string): DocRef[] {
  return markdownSegments(file, source).flatMap(seg =>
    [...seg.text.matchAll(MD_LINK)].flatMap(m => {
      const target = m[1] ?? '';
      if (/^[a-z][a-z\d+.-]*:/i.test(target) || target.startsWith('//')) {
        return [];
      }
      const [pathPart = '', fragment] = target.split('#');
      return [{
        where: `${rel(file)}:${seg.line}`,
        file: pathPart ? path.resolve(path.dirname(file), decodeURIComponent(pathPart)) : file,
        ...(fragment ? { fragment } : {})
      }];
    }));
}

/** A file's text, '' for a directory, undefined when nothing is there. */
function readIfFile(file: string): string | undefined {
  if (!fs.existsSync(file)) {
    return undefined;
  }
  return fs.statSync(file).isFile() ? fs.readFileSync(file, 'utf8') : '';
}

/** Bare names of the old outside-the-repo notes (`security.md`), not preceded by `docs/`. */
const BARE_NOTE = new RegExp(String.raw`(?<![\w.\/-])(?:${NOTES.join('|')})\.md\b`, 'g');

function bareNoteMentions(file: string, source: string): string[] {
  return source.split(/\r?\n/).flatMap((line, i) => [...line.matchAll(BARE_NOTE)].map(m => `${file}:${i + 1}: ${m[0]}`));
}

describe('project docs', () => {
  const securityDoc = path.join(root, 'docs/security.md');
  const sourceFiles = () => SCANNED_DIRS.flatMap(d => walk(path.join(root, d), SCANNED_EXT));

  it('defines every requirement id cited in code, tests and the README in docs/security.md', () => {
    const defined = definedIds(fs.readFileSync(securityDoc, 'utf8'));
    assert.ok(defined.size >= 50, `docs/security.md defines only ${defined.size} ids`);
    const files = [...sourceFiles(), path.join(root, 'README.md')];
    const citations = files.flatMap(f => extractCitations(rel(f), fs.readFileSync(f, 'utf8')));
    assert.ok(citations.length >= 20, `only ${citations.length} citations found: is the extractor broken?`);
    const missing = unresolved(citations, defined);
    assert.deepEqual(missing, [], `requirement ids cited but not defined in docs/security.md:\n${missing.join('\n')}`);
  });

  it('finds made-up and real citations and ignores look-alikes (self-test)', () => {
    const sample = [
      '/** Checked per (security.md Z99); see also (A99). */',
      "describe('safe fetch (B5)', () => {",
      '  // A5, A6: the response must carry this flow\'s state (B1–B3, A4)',
      '  // Runs a command from the Command Palette (F1).',
      "  const s = 'text with B0 inside (C3)'; f(A2); // boundary=B1, the E9 check",
      '});'
    ].join('\n');
    const citations = extractCitations('sample.ts', sample);
    assert.deepEqual(citations.map(c => `${c.where} ${c.id}`).sort(), [
      'sample.ts:1 A99', 'sample.ts:1 Z99', 'sample.ts:2 B5',
      'sample.ts:3 A4', 'sample.ts:3 A5', 'sample.ts:3 A6', 'sample.ts:3 B1', 'sample.ts:3 B2', 'sample.ts:3 B3', 'sample.ts:5 E9'
    ].sort());
    const defined = definedIds(fs.readFileSync(securityDoc, 'utf8'));
    assert.deepEqual(unresolved(citations, defined).sort(), ['sample.ts:1: A99', 'sample.ts:1: Z99']);
  });

  it('resolves every docs/ mention and relative Markdown link to an existing file and heading', () => {
    const refs = [
      ...SCANNED_DIRS.flatMap(d => walk(path.join(root, d), /\.(?:[cm]?ts|[cm]js|ya?ml|css|md|json|html)$/))
        .flatMap(f => codeDocRefs(f, fs.readFileSync(f, 'utf8'))),
      ...[path.join(root, 'README.md'), ...walk(path.join(root, 'docs'), /\.md$/)]
        .flatMap(f => {
          const text = fs.readFileSync(f, 'utf8');
          return [...markdownLinkRefs(f, text), ...codeDocRefs(f, text)];
        })
    ];
    const broken = brokenRefs(refs, readIfFile);
    assert.deepEqual(broken, [], `broken doc references:\n${broken.join('\n')}`);
  });

  it('reports a mention of a missing heading or file (self-test)', () => {
    const refs = codeDocRefs(path.join(root, 'sample.ts'), '// see docs/entra.md#no-such-heading and /docs/nowhere.md, not src/docs/x.md');
    assert.deepEqual(brokenRefs(refs, readIfFile), [
      'sample.ts:1: docs/entra.md has no heading #no-such-heading',
      'sample.ts:1: docs/nowhere.md does not exist'
    ]);
    assert.equal(slug('Azure OpenAI without a key'), 'azure-openai-without-a-key');
    assert.equal(slug('B. Discovery and transport'), 'b-discovery-and-transport');
  });

  it('cites the project notes in src/ and media/ only as docs/<name>.md', () => {
    assert.deepEqual(bareNoteMentions('x.ts', '// security.md A2, docs/security.md A2, /docs/entra.md'), ['x.ts:1: security.md']);
    const files = ['src', 'media'].flatMap(d => walk(path.join(root, d), /\.(?:[cm]?ts|[cm]js|ya?ml|css|md|json|html)$/));
    const bare = files.flatMap(f => bareNoteMentions(rel(f), fs.readFileSync(f, 'utf8')));
    assert.deepEqual(bare, [], `write docs/<name>.md instead of the bare note name:\n${bare.join('\n')}`);
  });
});
