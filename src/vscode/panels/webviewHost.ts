import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { webviewPage } from '../../common/approval/html';
import { TEST_HOOKS_ATTRIBUTES } from '../../common/testHooks';
import { WebviewTestDriver } from './testDriver';

export type IgnoreReason = 'malformed' | 'forged' | 'replayed';

export interface SecureWebviewOptions<M> {
  readonly viewType: string;
  readonly title: string;
  readonly extensionUri: vscode.Uri;
  /** Name of the bundle under dist/media (`<bundle>.js` and `<bundle>.css`). */
  readonly bundle: string;
  /** Lets integration tests drive the page; only honoured in test builds. */
  readonly testHooks: boolean;
  readonly parse: (raw: unknown) => M | undefined;
  readonly onMessage: (message: M) => void;
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
  /** Test hooks for this page: set only in a test build, for a panel opened with them. */
  readonly test: WebviewTestDriver | undefined;
  private currentHtml = '';
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
    this.test = SECURE_MCP_TEST_BUILD && options.testHooks ? new WebviewTestDriver(message => this.post(message), raw => this.receive(raw)) : undefined;
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
      bodyAttributes: SECURE_MCP_TEST_BUILD && this.test ? TEST_HOOKS_ATTRIBUTES : undefined
    });
    webview.html = this.currentHtml;
  }

  /**
   * The only way a message from the webview gets in. Also where the test driver delivers
   * forged or replayed messages, so they take exactly the path a real one takes.
   */
  private receive(raw: unknown): void {
    if (SECURE_MCP_TEST_BUILD && this.test?.takeReport(raw)) {
      return;
    }
    const message = this.options.parse(raw);
    if (!message) {
      this.options.onIgnored('malformed', describe(raw));
      return;
    }
    this.options.onMessage(message);
  }

  post(message: unknown): Thenable<boolean> {
    return this.disposed ? Promise.resolve(false) : this.panel.webview.postMessage(message);
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
