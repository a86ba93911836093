/**
 * Model and server text rendered in chat (docs/security.md D7): it stays Markdown, but no
 * image is loaded, no HTML is rendered, and only http(s) and mailto links survive; a
 * link to any other scheme (command:, vscode:, file:, javascript:, data:) keeps its
 * text and loses its target.
 */
export function untrustedMarkdown(text: string): string {
  return text
    // Images first, reference or inline: never fetched.
    .replace(/!\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)/g, (_m, alt: string) => `[image not loaded: ${alt || 'untitled'}]`)
    .replace(/!\[([^\]]*)\]\[[^\]]*\]/g, (_m, alt: string) => `[image not loaded: ${alt || 'untitled'}]`)
    // Targets may hold one level of parentheses, as Markdown allows.
    .replace(/\[([^\]]*)\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)>?(?:\s+"[^"]*")?\s*\)/g, (m, label: string, target: string) => (safeTarget(target) ? m : label))
    // Reference-style definitions can point anywhere too.
    .replace(/^\s{0,3}\[[^\]]+\]:\s*(\S+).*$/gm, (m, target: string) => (safeTarget(target) ? m : ''))
    // Autolinks with other schemes.
    .replace(/<([a-z][a-z0-9+.-]*:[^>\s]*)>/gi, (m, target: string) => (safeTarget(target) ? m : target.replace(/:/, '\u200b:')))
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function safeTarget(target: string): boolean {
  const t = target.trim().toLowerCase();
  return t.startsWith('https://') || t.startsWith('http://') || t.startsWith('mailto:');
}

/** Inline code for untrusted text inside our own Markdown: backticks cannot break out. */
export function inlineCode(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  const longest = Math.max(0, ...[...clean.matchAll(/`+/g)].map(m => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${clean} ${fence}`;
}

/** A fenced code block whose fence the text cannot close: longer than any backtick run in it. */
export function codeBlock(text: string, language = 'text'): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map(m => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}\n`;
}

/**
 * Untrusted text shown literally in Markdown: every character Markdown could give a
 * meaning to is backslash-escaped, so links, images, emphasis and HTML stay inert text.
 * Unlike `MarkdownString.appendText` it leaves spaces alone (no `&nbsp;` in copied text).
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&:]/g, ch => `\\${ch}`);
}

/**
 * Control and format characters (bidi overrides and isolates, zero-width characters,
 * soft hyphen, tags), lone surrogates, and the Hangul fillers that render as blank.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\u115f\u1160\u3164\uffa0]/gu;

/** Default cap, in characters, for one piece of server text in a progress line. */
export const PROGRESS_TEXT_MAX = 120;

/**
 * Server text (a tool name, an MCP progress message) for `ChatResponseStream.progress`,
 * which VS Code renders as Markdown: one line, at most `max` characters before escaping,
 * every Markdown and HTML character escaped, and bidi, zero-width and control characters
 * replaced by a visible U+FFFD, so the line cannot reorder, hide or link anything (D3, D7).
 */
export function progressText(text: string, max = PROGRESS_TEXT_MAX): string {
  const oneLine = text
    .replace(/[\r\n\t\v\f\u2028\u2029]+/g, ' ')
    .replace(INVISIBLE, '\ufffd')
    .replace(/\s{2,}/g, ' ')
    .trim();
  // Code points, not UTF-16 units: a cut never leaves half a surrogate pair.
  const chars = [...oneLine];
  const capped = chars.length > max ? `${chars.slice(0, Math.max(0, max - 1)).join('').trimEnd()}…` : oneLine;
  return escapeMarkdown(capped);
}
