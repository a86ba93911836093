import * as vscode from 'vscode';
import type { StateTone, StateView } from '../../common/connectionState';
import type { ConnectionState } from './connection';
import type { Connections } from './connections';

const BACKGROUND: Partial<Record<StateTone, string>> = { warning: 'statusBarItem.warningBackground', error: 'statusBarItem.errorBackground' };

/**
 * The one status bar item: the servers' state in the words of the one model, and the action
 * that helps (with several servers, the list of them).
 */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('secureMcp.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly connections: Connections) {
    this.item.name = vscode.l10n.t('Secure MCP');
    this.render(connections.summary.view);
    this.subscription = connections.onDidChange(() => this.render(connections.summary.view));
    this.item.show();
  }

  /** The first server's state (the only one with the single-server settings). */
  get state(): ConnectionState {
    return this.connections.primary.state;
  }

  /** What is shown, for tests: text, tooltip and the command a click runs. */
  get view(): { readonly text: string; readonly tooltip: string; readonly command: string | undefined } {
    const command = this.item.command;
    return { text: this.item.text, tooltip: String(this.item.tooltip ?? ''), command: typeof command === 'string' ? command : command?.command };
  }

  private render(v: StateView): void {
    this.item.text = `${v.icon} ${v.text}`;
    this.item.tooltip = v.tooltip;
    this.item.command = { title: v.fix.title, command: v.fix.command, ...(v.fix.args ? { arguments: [...v.fix.args] } : {}) };
    const background = BACKGROUND[v.tone];
    this.item.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
