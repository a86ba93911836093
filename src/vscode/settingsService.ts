import * as vscode from 'vscode';
import { readSettings, type ReadSettingsResult } from '../common/settings';
import { scoped, type Logger } from '../common/log';

export const SECTION = 'secureMcp';

/** Reads the settings once per change and tells listeners; the only reader of `secureMcp.*`. */
export class SettingsService implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ReadSettingsResult>();
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private result: ReadSettingsResult;
  private readonly log: Logger;

  readonly onDidChange = this.emitter.event;

  constructor(logger: Logger) {
    this.log = scoped(logger, 'settings');
    this.result = this.read();
    this.disposables.push(vscode.workspace.onDidChangeConfiguration(e => {
      if (e.affectsConfiguration(SECTION)) {
        this.result = this.read();
        this.emitter.fire(this.result);
      }
    }));
  }

  get current(): ReadSettingsResult {
    return this.result;
  }

  private read(): ReadSettingsResult {
    const config = vscode.workspace.getConfiguration(SECTION);
    const result = readSettings(key => config.get(key));
    for (const p of result.problems) {
      this.log.warn(`${p.key} ${p.message}`);
    }
    return result;
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
