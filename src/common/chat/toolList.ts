import type { Tool } from '@modelcontextprotocol/client';
import type { L10n } from '../l10n';
import { codeBlock, escapeMarkdown, inlineCode } from './markdown';
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

/**
 * A tool picked in Show Tools, as a Markdown document: what it is and where, its
 * description, its annotations (claims by the server), its schemas pretty-printed, and
 * how to call it from chat. All server text is escaped or fenced.
 */
export function toolDetailsMarkdown(tool: Tool, serverLabel: string, l10n: L10n): string {
  const text = (s: string) => escapeMarkdown(s.replace(/\r\n?/g, '\n')).replace(/\n/g, '  \n');
  const lines = [
    `# ${escapeMarkdown((tool.title ?? tool.name).replace(/\s+/g, ' ').trim())}`,
    '',
    l10n.t('Tool {0} on {1}. Its description and annotations are claims made by the server.', inlineCode(tool.name), escapeMarkdown(serverLabel)),
    '',
    `## ${l10n.t('Description')}`,
    '',
    tool.description?.trim() ? text(tool.description.trim()) : l10n.t('No description.'),
    '',
    `## ${l10n.t('Annotations (claims)')}`,
    ''
  ];
  const annotations = Object.entries(tool.annotations ?? {});
  lines.push(...(annotations.length ? annotations.map(([k, v]) => `- ${escapeMarkdown(k)}: ${inlineCode(JSON.stringify(v) ?? String(v))}`) : [l10n.t('No annotations.')]), '');
  const unusable = unusableReason(tool);
  if (unusable) {
    lines.push(escapeMarkdown(l10n.t('Not offered to the model: {0}.', unusable)), '');
  }
  lines.push(`## ${l10n.t('Input schema')}`, '', codeBlock(JSON.stringify(tool.inputSchema, null, 2), 'json'));
  if (tool.outputSchema) {
    lines.push(`## ${l10n.t('Output schema')}`, '', codeBlock(JSON.stringify(tool.outputSchema, null, 2), 'json'));
  }
  lines.push(`## ${l10n.t('Call it')}`, '', l10n.t('In chat: {0}, with the arguments as JSON. Every call needs your approval.', inlineCode(`@secure-mcp /call ${tool.name} {…}`)), '');
  return lines.join('\n');
}
