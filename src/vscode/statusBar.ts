import * as vscode from 'vscode';
import type { ReadSettingsResult } from '../common/settings';
import type { SettingsService } from './config';

/** States the status bar item can show; connection states join when connecting exists. */
export type StatusState =
  | { readonly kind: 'notConfigured' }
  | { readonly kind: 'settingsProblem'; readonly count: number }
  | { readonly kind: 'signedOut'; readonly server: string };

export function stateFromSettings(r: ReadSettingsResult): StatusState {
  // Problems first: an invalid server URL falls back to '' and must not read as "not configured".
  if (r.problems.length) {
    return { kind: 'settingsProblem', count: r.problems.length };
  }
  if (!r.settings.serverUrl) {
    return { kind: 'notConfigured' };
  }
  return { kind: 'signedOut', server: r.settings.serverUrl };
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('secureMcp.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;
  state: StatusState;

  constructor(settings: SettingsService) {
    this.item.name = vscode.l10n.t('Secure MCP');
    this.state = stateFromSettings(settings.current);
    this.render();
    this.subscription = settings.onDidChange(r => {
      this.state = stateFromSettings(r);
      this.render();
    });
    this.item.show();
  }

  private render(): void {
    const s = this.state;
    this.item.backgroundColor = undefined;
    switch (s.kind) {
      case 'notConfigured':
        this.item.text = `$(shield) ${vscode.l10n.t('MCP: not configured')}`;
        this.item.tooltip = vscode.l10n.t('Secure MCP: no server configured. Click to set the server URL.');
        this.item.command = 'secureMcp.configureServer';
        break;
      case 'settingsProblem':
        this.item.text = `$(warning) ${vscode.l10n.t('MCP: check settings')}`;
        this.item.tooltip = vscode.l10n.t('Secure MCP: {0} setting(s) need attention. Click to open the log.', s.count);
        this.item.command = 'secureMcp.showLog';
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      case 'signedOut':
        this.item.text = `$(shield) ${vscode.l10n.t('MCP: signed out')}`;
        this.item.tooltip = vscode.l10n.t('Secure MCP: {0}, not signed in. Click to sign in.', s.server);
        this.item.command = 'secureMcp.signIn';
        break;
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
