import * as vscode from 'vscode';
import { escapeMarkdown, untrustedMarkdown } from '../../common/chat/markdown';
import { toolListMarkdown } from '../../common/chat/toolList';
import { errorText, fixesFor, forServer, type Fix } from '../../common/fixes';
import type { Tool } from '../../node/mcp/session';
import type { ChosenModel } from '../llm/models';

/*
 * How the participant writes: Markdown that can run nothing, server and model text made
 * safe, and failures with the buttons that fix them.
 */

/** A failure of one server's request, so the reply's buttons act on that server. */
export class ServerFailure {
  constructor(readonly server: string, readonly error: unknown) {}
}

/** "label (why)": the chat turn's "Model: …" line and /status say the same. */
export function describeModel(chosen: ChosenModel): string {
  return vscode.l10n.t('{0} ({1})', chosen.model.label, chosen.reason);
}

/** Markdown that can run nothing: no command links, no HTML (docs/security.md D7). */
export function inert(markdown: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(markdown, false);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}

/** Model text: Markdown, but no images, HTML or non-web links. */
export function safe(text: string): vscode.MarkdownString {
  return inert(untrustedMarkdown(text));
}

/** Untrusted text from the server, rendered literally. */
export function literal(text: string): vscode.MarkdownString {
  return inert(escapeMarkdown(text));
}

export function renderTools(stream: vscode.ChatResponseStream, tools: readonly Tool[]): void {
  stream.markdown(vscode.l10n.t('**{0} tools.** Descriptions and annotations are claims made by the server.\n\n', tools.length));
  stream.markdown(inert(toolListMarkdown(tools, {
    claims: hints => `(${vscode.l10n.t('claims: {0}', hints)})`,
    notOffered: why => `(${vscode.l10n.t('not offered to the model: {0}', why)})`
  })));
}

/** What went wrong, and the buttons that fix it: the same ones a command's toast offers, aimed at the server that failed. */
export function renderFailure(stream: vscode.ChatResponseStream, failure: unknown, server = ''): void {
  const e = failure instanceof ServerFailure ? failure.error : failure;
  const name = failure instanceof ServerFailure ? failure.server : server;
  stream.markdown(literal(errorText(e, vscode.l10n)));
  stream.markdown('\n\n');
  for (const fix of fixesFor(e, vscode.l10n)) {
    stream.button(button(forServer(fix, name)));
  }
}

export function button(fix: Fix): vscode.Command {
  return { command: fix.command, title: fix.title, ...(fix.args ? { arguments: [...fix.args] } : {}) };
}
