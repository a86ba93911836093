import * as vscode from 'vscode';
import { describeState, type StateTone } from '../../common/connectionState';
import type { ConnectionService, ConnectionState } from './connection';

const BACKGROUND: Partial<Record<StateTone, string>> = { warning: 'statusBarItem.warningBackground', error: 'statusBarItem.errorBackground' };

/** The status bar item: the connection's state in the words of the one model, and the action that helps. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('secureMcp.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly connection: ConnectionService) {
    this.item.name = vscode.l10n.t('Secure MCP');
    this.render(connection.state);
    this.subscription = connection.onDidChangeState(s => this.render(s));
    this.item.show();
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  /** What is shown, for tests: text, tooltip and the command a click runs. */
  get view(): { readonly text: string; readonly tooltip: string; readonly command: string | undefined } {
    const command = this.item.command;
    return { text: this.item.text, tooltip: String(this.item.tooltip ?? ''), command: typeof command === 'string' ? command : command?.command };
  }

  private render(s: ConnectionState): void {
    const v = describeState(s, vscode.l10n);
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
