import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { webviewPage } from '../../common/approval/html';
import type { ProbeReport } from '../../common/approval/messages';
import type { Logger } from '../../common/log';

export type IgnoreReason = 'malformed' | 'forged' | 'replayed' | 'test-only';

export interface SecureWebviewOptions<M> {
  readonly viewType: string;
  readonly title: string;
  readonly extensionUri: vscode.Uri;
  /** Name of the bundle under dist/media (`<bundle>.js` and `<bundle>.css`). */
  readonly bundle: string;
  readonly logger: Logger;
  readonly testHooks: boolean;
  readonly parse: (raw: unknown, allowTestReports: boolean) => M | undefined;
  readonly onMessage: (message: Exclude<M, { type: 'testReport' }>) => void;
  readonly onIgnored: (reason: IgnoreReason, detail: string) => void;
  readonly onDidClose: () => void;
}

/** 24 random bytes, base64: a fresh CSP nonce per render (never Math.random). */
export function newNonce(): string {
  return randomBytes(24).toString('base64');
}

/**
 * A webview panel locked down per docs/security.md D1–D4: scripts only from our bundle by
 * nonce, resources only from dist/media, no command URIs, and one entry point for
 * messages that validates before anything else sees them.
 */
export class SecureWebview<M extends { readonly type: string }> implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private currentHtml = '';
  private probes: ((r: ProbeReport) => void)[] = [];
  private disposed = false;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly options: SecureWebviewOptions<M>) {
    const mediaRoot = vscode.Uri.joinPath(options.extensionUri, 'dist', 'media');
    this.panel = vscode.window.createWebviewPanel(options.viewType, options.title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      enableCommandUris: false,
      enableForms: false,
      localResourceRoots: [mediaRoot],
      retainContextWhenHidden: true
    });
    this.subscriptions.push(
      this.panel.webview.onDidReceiveMessage(raw => this.receive(raw)),
      this.panel.onDidDispose(() => {
        this.disposed = true;
        vscode.Disposable.from(...this.subscriptions).dispose();
        options.onDidClose();
      })
    );
    this.render();
  }

  /** The HTML of the last render, for tests that check the CSP and nonce. */
  get html(): string {
    return this.currentHtml;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  render(): void {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.options.extensionUri, 'dist', 'media');
    this.currentHtml = webviewPage({
      nonce: newNonce(),
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, `${this.options.bundle}.js`)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, `${this.options.bundle}.css`)).toString(),
      title: this.options.title,
      testHooks: this.options.testHooks
    });
    webview.html = this.currentHtml;
  }

  /**
   * The only way a message from the webview gets in. Also what tests call to deliver
   * forged or replayed messages, so they take exactly the path a real one takes.
   */
  receive(raw: unknown): void {
    const message = this.options.parse(raw, this.options.testHooks);
    if (!message) {
      this.options.onIgnored('malformed', describe(raw));
      return;
    }
    if (message.type === 'testReport') {
      const report = (message as unknown as { report: ProbeReport }).report;
      const waiting = this.probes;
      this.probes = [];
      waiting.forEach(resolve => resolve(report));
      return;
    }
    this.options.onMessage(message as Exclude<M, { type: 'testReport' }>);
  }

  post(message: unknown): Thenable<boolean> {
    return this.disposed ? Promise.resolve(false) : this.panel.webview.postMessage(message);
  }

  /** Test hook: sends a command to the page without waiting (a click may close the panel). */
  async testSend(command: Record<string, unknown>): Promise<void> {
    if (!this.options.testHooks) {
      throw new Error('test hooks are off for this webview');
    }
    await this.post({ type: 'test', ...command });
  }

  /** Test hook: runs a command in the page (click, key, fill, probe) and returns the page's report. */
  async test(command: Record<string, unknown>, timeoutMs = 10_000): Promise<ProbeReport> {
    if (!this.options.testHooks) {
      throw new Error('test hooks are off for this webview');
    }
    const report = new Promise<ProbeReport>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the webview did not answer ${JSON.stringify(command)} within ${timeoutMs} ms`)), timeoutMs);
      this.probes.push(r => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    await this.post({ type: 'test', ...command });
    return report;
  }

  dispose(): void {
    if (!this.disposed) {
      this.panel.dispose();
    }
  }
}

/** What the log may say about an ignored message: its shape, never its content. */
function describe(raw: unknown): string {
  if (typeof raw !== 'object' || raw === null) {
    return typeof raw;
  }
  const keys = Object.keys(raw).slice(0, 10).map(k => k.slice(0, 30));
  const type = (raw as Record<string, unknown>).type;
  return `type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 30)) : typeof type}, keys ${keys.join(',')}`;
}
