import * as vscode from 'vscode';
import { scoped, type Logger } from '../../common/log';

/** The read-only documents of Diagnose and of a tool picked in Show Tools. */
export const DIAGNOSE_SCHEME = 'secure-mcp-diagnose';
export const TOOL_SCHEME = 'secure-mcp-tool';

/**
 * Markdown documents of ours under one URI scheme, read-only: shown rendered (as source
 * where no preview exists), never an Untitled document that asks to be saved. Showing a
 * path again replaces its content, and the open preview follows.
 */
export class ReadOnlyMarkdown implements vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly registration: vscode.Disposable;
  private readonly log: Logger;

  constructor(readonly scheme: string, logger: Logger) {
    this.log = scoped(logger, 'documents');
    this.registration = vscode.workspace.registerTextDocumentContentProvider(scheme, {
      onDidChange: this.changed.event,
      provideTextDocumentContent: uri => this.contents.get(uri.path) ?? ''
    });
  }

  /** Sets the content of `path` (e.g. `/diagnosis.md`) and shows it. */
  async show(path: string, markdown: string): Promise<vscode.Uri> {
    const uri = vscode.Uri.from({ scheme: this.scheme, path });
    this.contents.set(uri.path, markdown);
    this.changed.fire(uri);
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch (e) {
      this.log.info(`markdown preview unavailable (${e instanceof Error ? e.message : String(e)}); showing ${uri.toString()} as text`);
      await vscode.window.showTextDocument(uri, { preview: true });
    }
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
