import * as vscode from 'vscode';
import { summarizeServers, type ServerStateSummary } from '../../common/connectionState';
import { scoped, type Logger } from '../../common/log';
import { ConnectionService, type ConnectionDeps, type ConnectionState } from './connection';

/**
 * One connection per configured server (docs/servers.md), kept in the order of the
 * settings: the single-server settings' server first, then `secureMcp.servers`. With
 * nothing configured it holds the single-server slot, which says so. Each connection has
 * its own token source, session and state; nothing is shared between them but settings.
 */
export class Connections implements vscode.Disposable {
  private readonly bySlot = new Map<string, { connection: ConnectionService; subscription: vscode.Disposable }>();
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  private readonly log: Logger;
  private started = false;

  /** Fires when any server's state changes, or servers are added or removed. */
  readonly onDidChange = this.emitter.event;

  constructor(private readonly deps: Omit<ConnectionDeps, 'slot'>) {
    this.log = scoped(deps.logger, 'connections');
    this.sync();
    this.subscription = deps.settings.onDidChange(() => this.sync());
  }

  /** Every connection, in the order of the settings. */
  get all(): readonly ConnectionService[] {
    return this.slots().map(slot => this.bySlot.get(slot)!.connection);
  }

  /** The first server's connection (the only one with the single-server settings). */
  get primary(): ConnectionService {
    return this.all[0]!;
  }

  /** The connection of the server called `name` (case-insensitive), if there is one. */
  get(name: string): ConnectionService | undefined {
    return this.all.find(c => c.server && c.name.toLowerCase() === name.toLowerCase());
  }

  /** Each server's state, and the state of them all as the status bar shows it. */
  get summary(): ServerStateSummary {
    return summarizeServers(this.all.map(c => ({ name: c.name, label: c.label, state: c.state })), vscode.l10n);
  }

  /** Connects every signed-in server in the background (see ConnectionService.connectIfSignedIn). */
  start(): void {
    this.started = true;
    for (const c of this.all) {
      void c.connectIfSignedIn();
    }
  }

  private slots(): string[] {
    const slots = this.deps.settings.current.settings.servers.map(s => s.source === 'secureMcp' ? '' : s.name);
    return slots.length ? slots : [''];
  }

  /** Adds a connection for each new server and disposes the ones whose server is gone. */
  private sync(): void {
    const wanted = this.slots();
    let changed = false;
    for (const [slot, entry] of this.bySlot) {
      if (!wanted.includes(slot)) {
        this.log.info(`server ${slot || '(single-server settings)'} removed; disconnecting`);
        entry.subscription.dispose();
        entry.connection.dispose();
        this.bySlot.delete(slot);
        changed = true;
      }
    }
    for (const slot of wanted) {
      if (!this.bySlot.has(slot)) {
        const connection = new ConnectionService({ ...this.deps, slot });
        this.bySlot.set(slot, { connection, subscription: connection.onDidChangeState(() => this.emitter.fire()) });
        changed = true;
        if (this.started) {
          void connection.connectIfSignedIn();
        }
      }
    }
    if (changed) {
      this.emitter.fire();
    }
  }

  dispose(): void {
    this.subscription.dispose();
    for (const { connection, subscription } of this.bySlot.values()) {
      subscription.dispose();
      connection.dispose();
    }
    this.bySlot.clear();
    this.emitter.dispose();
  }
}

export type { ConnectionState };
