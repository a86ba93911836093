import * as vscode from 'vscode';
import { progressText } from '../../common/chat/markdown';
import { ProgressLines } from '../../common/chat/progress';

/**
 * The progress lines of one reply: each call as it is sent, the approval it waits for
 * (once its panel is on screen), the server's progress ticks, and the model's retries.
 * Lines go through `ProgressLines`, so they do not pile up one per tick.
 */
export class ReplyProgress implements vscode.Disposable {
  private readonly lines = new ProgressLines();
  /** Calls handed to the approval gate and not sent yet: id → tool name. */
  private readonly awaiting = new Map<string, string>();
  private readonly subscription: vscode.Disposable;

  /** `onApprovalShown` fires with a call's id when its approval panel has rendered. */
  constructor(private readonly stream: vscode.ChatResponseStream, onApprovalShown: (listener: (callId: string) => void) => vscode.Disposable) {
    this.subscription = onApprovalShown(id => {
      const tool = this.awaiting.get(id);
      if (tool !== undefined) {
        this.report(`approval:${id}`, vscode.l10n.t('Waiting for your approval of {0} in the panel…', progressText(tool, 128)));
      }
    });
  }

  awaitingApproval(callId: string, tool: string): void {
    this.awaiting.set(callId, tool);
  }

  /** Progress lines are Markdown too; the server's tool names and messages go in inert and capped. */
  calling(callId: string, tool: string, serverLabel: string): void {
    this.awaiting.delete(callId);
    this.report(`calling:${callId}`, vscode.l10n.t('Calling {0} on {1}…', progressText(tool, 128), progressText(serverLabel, 80)));
  }

  progress(callId: string, tool: string, p: { readonly progress: number; readonly total?: number; readonly message?: string }): void {
    const count = p.total !== undefined ? `${p.progress}/${p.total}` : String(p.progress);
    this.report(`progress:${callId}`, p.message
      ? vscode.l10n.t('{0}: {1} {2}', progressText(tool, 128), progressText(count, 40), progressText(p.message))
      : vscode.l10n.t('{0}: {1}', progressText(tool, 128), progressText(count, 40)));
  }

  llmRetry(delayMs: number): void {
    this.report('llmRetry', vscode.l10n.t('The language model is busy; retrying in {0} s…', Math.ceil(delayMs / 1000)));
  }

  private report(key: string, text: string): void {
    const line = this.lines.next(key, text);
    if (line !== undefined) {
      this.stream.progress(line);
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
