import * as vscode from 'vscode';
import type { ApprovalDecision, PendingToolCall } from '../../common/approval/gate';
import { decisionContext, stateContext, type WalkthroughContextKey } from '../../common/walkthrough';
import type { Connections } from '../connection/connections';
import type { SettingsService } from '../settingsService';

/** What the walkthrough's keys follow: the settings and the connection's state. */
export interface WalkthroughSources {
  readonly settings: Pick<SettingsService, 'current' | 'onDidChange'>;
  readonly connections: Pick<Connections, 'all' | 'onDidChange'>;
}

/**
 * Sets the context keys the "Get started" walkthrough completes on (src/common/walkthrough.ts),
 * each only when its value changes. VS Code remembers a completed step, so a key that
 * later turns false (signed out) does not untick it.
 */
export class WalkthroughContext implements vscode.Disposable {
  private readonly values = new Map<WalkthroughContextKey, boolean>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly sources: WalkthroughSources) {
    this.subscriptions = [sources.settings.onDidChange(() => this.update()), sources.connections.onDidChange(() => this.update())];
    this.update();
  }

  /** Told of every approval decision (the approval service's sink). */
  decided(call: Pick<PendingToolCall, 'origin'>, decision: ApprovalDecision): void {
    for (const key of decisionContext(call, decision)) {
      this.set(key, true);
    }
  }

  private update(): void {
    // A step is done when it is done for any server.
    const settings = this.sources.settings.current.settings;
    const connected = this.sources.connections.all.find(c => c.state.kind === 'connected') ?? this.sources.connections.all[0];
    const state = stateContext({ serverUrl: settings.servers[0]?.url ?? '', connection: connected?.state.kind ?? 'notConfigured' });
    for (const [key, value] of state) {
      this.set(key, value);
    }
  }

  private set(key: WalkthroughContextKey, value: boolean): void {
    if (this.values.get(key) !== value) {
      this.values.set(key, value);
      void vscode.commands.executeCommand('setContext', key, value);
    }
  }

  dispose(): void {
    vscode.Disposable.from(...this.subscriptions).dispose();
  }
}
