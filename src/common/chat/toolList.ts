import type { Tool } from '@modelcontextprotocol/client';
import { escapeMarkdown } from './markdown';
import { unusableReason } from './tools';

/** The words around the server's text, translated by the caller. */
export interface ToolListWords {
  /** `(claims: readOnlyHint, openWorldHint)` */
  readonly claims: (hints: string) => string;
  /** `(not offered to the model: …)` */
  readonly notOffered: (why: string) => string;
}

/**
 * `/tools` as one Markdown list: one item per tool, its name and description escaped and
 * kept on one line (a description's own line breaks would end the item), then its
 * annotations, labelled as the server's claims. One string, because each separate piece
 * given to the chat renders as a paragraph of its own.
 */
export function toolListMarkdown(tools: readonly Tool[], words: ToolListWords, maxDescription = 500): string {
  const oneLine = (text: string) => escapeMarkdown(text.replace(/\s+/g, ' ').trim());
  return tools.map(t => {
    const parts = [`- **${oneLine(t.name)}**`];
    if (t.description) {
      parts.push(`: ${oneLine(t.description.slice(0, maxDescription))}`);
    }
    const claims = Object.entries(t.annotations ?? {}).filter(([k, v]) => k.endsWith('Hint') && v === true).map(([k]) => k);
    if (claims.length) {
      parts.push(` ${escapeMarkdown(words.claims(claims.join(', ')))}`);
    }
    const unusable = unusableReason(t);
    if (unusable) {
      parts.push(` ${escapeMarkdown(words.notOffered(unusable))}`);
    }
    return parts.join('');
  }).join('\n') + '\n';
}
