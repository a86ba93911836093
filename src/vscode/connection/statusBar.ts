import * as vscode from 'vscode';
import type { ConnectionService, ConnectionState } from './connection';

/** The status bar item: the connection state, the account, and the action that helps. */
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
    this.item.backgroundColor = undefined;
    switch (s.kind) {
      case 'notConfigured':
        this.set('$(shield)', vscode.l10n.t('MCP: not configured'), vscode.l10n.t('Secure MCP: no server configured. Click to set the server URL.'), 'secureMcp.configureServer');
        break;
      case 'settingsProblem':
        this.set('$(warning)', vscode.l10n.t('MCP: check settings'), vscode.l10n.t('Secure MCP: {0} setting(s) need attention. Click to open the log.', s.count), 'secureMcp.showLog');
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      case 'signedOut':
        this.set('$(shield)', vscode.l10n.t('MCP: signed out'), s.reason ? vscode.l10n.t('Secure MCP: {0}. {1} Click to sign in.', s.server, s.reason) : vscode.l10n.t('Secure MCP: {0}, not signed in. Click to sign in.', s.server), 'secureMcp.signIn');
        break;
      case 'connecting':
        this.set('$(sync~spin)', vscode.l10n.t('MCP: connecting'), vscode.l10n.t('Secure MCP: connecting to {0}…', s.server), 'secureMcp.showLog');
        break;
      case 'connected':
        this.set('$(shield)', vscode.l10n.t('MCP: {0} tools', s.tools), s.account
          ? vscode.l10n.t('Secure MCP: connected to {0} as {1} (MCP {2}). Click to show the tools.', s.server, s.account, s.protocol ?? '?')
          : vscode.l10n.t('Secure MCP: connected to {0} (MCP {1}). Click to show the tools.', s.server, s.protocol ?? '?'), 'secureMcp.showTools');
        break;
      case 'error':
        this.set('$(error)', vscode.l10n.t('MCP: error'), vscode.l10n.t('Secure MCP: {0}. Click to diagnose.', s.message), 'secureMcp.diagnose');
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
    }
  }

  private set(icon: string, text: string, tooltip: string, command: string): void {
    this.item.text = `${icon} ${text}`;
    this.item.tooltip = tooltip;
    this.item.command = command;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
