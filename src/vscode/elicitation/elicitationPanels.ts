import * as vscode from 'vscode';
import { buildFormModel, initialValues, validateForm, type FormContent, type FormModel } from '../../common/elicitation/form';
import { parseElicitationMessage, type ElicitationStrings, type ElicitationView, type ElicitationWebviewMessage } from '../../common/elicitation/messages';
import { RateLimiter } from '../../common/elicitation/rateLimit';
import { analyzeElicitationUrl } from '../../common/elicitation/url';
import { revealString, truncate } from '../../common/approval/reveal';
import { scoped, type Logger } from '../../common/log';
import { SecureWebview, type IgnoreReason } from '../panels/webviewHost';
import { PanelRegistry } from '../panels/panelRegistry';

/** One elicitation/create request as the session received it. */
export interface ElicitationInput {
  /** The configured server URL (rate limit key, and the domain URL mode compares to). */
  readonly serverUrl: string;
  readonly serverLabel: string;
  /** `ElicitRequest['params']` exactly as received; validated here. */
  readonly params: unknown;
}

/** The MCP ElicitResult shape. */
export type ElicitationResponse =
  | { readonly action: 'accept'; readonly content?: FormContent }
  | { readonly action: 'decline' }
  | { readonly action: 'cancel' };

export interface ElicitationPanelsOptions {
  readonly extensionUri: vscode.Uri;
  readonly logger: Logger;
  /** Per-server limit (default: 5 requests per minute). */
  readonly rateLimiter?: RateLimiter;
  /** Unanswered requests are cancelled after this long (default 600 s). */
  readonly timeoutSeconds?: () => number;
  /** Injected so tests can observe what would be opened. */
  readonly openExternal?: (uri: vscode.Uri) => Thenable<boolean>;
  readonly testHooks?: boolean;
}

interface Pending {
  readonly id: string;
  readonly webview: SecureWebview<ElicitationWebviewMessage>;
  readonly view: ElicitationView;
  readonly model?: FormModel;
  readonly href?: string;
  settled: boolean;
  busy: boolean;
  settle(response: ElicitationResponse): void;
}

let nextId = 0;

/**
 * Form and URL elicitation in a webview (docs/security.md D6). Replies are validated against
 * the requested schema here, whatever the page already checked; URL mode opens the
 * link with openExternal only after the user pressed "Open".
 */
export class ElicitationPanels implements vscode.Disposable {
  private readonly log: Logger;
  private readonly panels = new PanelRegistry<Pending>();
  private readonly limiter: RateLimiter;
  private readonly ignoredEmitter = new vscode.EventEmitter<{ readonly requestId: string; readonly reason: IgnoreReason }>();
  private readonly renderedEmitter = new vscode.EventEmitter<string>();
  readonly onDidIgnoreMessage = this.ignoredEmitter.event;
  readonly onDidRender = this.renderedEmitter.event;

  constructor(private readonly options: ElicitationPanelsOptions) {
    this.log = scoped(options.logger, 'elicitation');
    this.limiter = options.rateLimiter ?? new RateLimiter();
  }

  pendingIds(): string[] {
    return this.panels.pendingIds();
  }

  webviewFor(id: string): SecureWebview<ElicitationWebviewMessage> | undefined {
    return this.panels.get(id)?.webview;
  }

  /** Handles one elicitation/create request; resolves with the ElicitResult to send. */
  async elicit(input: ElicitationInput, signal?: AbortSignal): Promise<ElicitationResponse> {
    if (signal?.aborted) {
      return { action: 'cancel' };
    }
    const rate = this.limiter.take(input.serverUrl);
    if (!rate.ok) {
      this.log.warn(`declined a request from ${input.serverUrl}: ${rate.reason}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('Secure MCP declined a request for input from {0}: it asked too often. Try again in {1} s.', input.serverLabel, Math.ceil(rate.retryAfterMs / 1000)));
      return { action: 'decline' };
    }
    const p = input.params;
    if (typeof p !== 'object' || p === null) {
      this.log.warn('declined a malformed elicitation request');
      return { action: 'decline' };
    }
    const params = p as Record<string, unknown>;
    const message = typeof params.message === 'string' ? params.message.slice(0, 10_000) : '';
    const id = `elicit-${++nextId}-${Date.now().toString(36)}`;
    const base = { requestId: id, serverUrl: input.serverUrl, serverLabel: input.serverLabel, message, strings: elicitationStrings() };
    if (params.mode === 'url') {
      const analysis = analyzeElicitationUrl(params.url, input.serverUrl);
      if (!analysis.ok) {
        this.log.warn(`declined a URL elicitation: ${analysis.reason}`);
        void vscode.window.showWarningMessage(vscode.l10n.t('Secure MCP declined a link from {0}: {1}', input.serverLabel, analysis.reason));
        return { action: 'decline' };
      }
      const view: ElicitationView = { ...base, mode: 'url', href: analysis.href, domain: analysis.domain, parts: analysis.parts, warnings: analysis.warnings };
      return this.open(id, view, undefined, analysis.href, signal);
    }
    if (params.mode !== undefined && params.mode !== 'form') {
      this.log.warn(`declined an elicitation with unknown mode ${JSON.stringify(String(params.mode)).slice(0, 40)}`);
      return { action: 'decline' };
    }
    const built = buildFormModel(params.requestedSchema);
    if (!built.ok) {
      this.log.warn(`declined a form elicitation: ${built.error}`);
      return { action: 'decline' };
    }
    const view: ElicitationView = { ...base, mode: 'form', fields: built.model.fields, values: initialValues(built.model) };
    return this.open(id, view, built.model, undefined, signal);
  }

  private open(id: string, view: ElicitationView, model: FormModel | undefined, href: string | undefined, signal?: AbortSignal): Promise<ElicitationResponse> {
    const timeoutMs = Math.max(1, this.options.timeoutSeconds?.() ?? 600) * 1000;
    return new Promise<ElicitationResponse>(resolve => {
      const onAbort = () => entry.settle({ action: 'cancel' });
      const webview = new SecureWebview<ElicitationWebviewMessage>({
        viewType: 'secureMcp.elicitation',
        title: vscode.l10n.t('{0} asks for input', truncate(revealString(view.serverLabel), 60)),
        extensionUri: this.options.extensionUri,
        bundle: 'elicitation',
        testHooks: this.options.testHooks ?? false,
        parse: parseElicitationMessage,
        onMessage: message => void this.onMessage(entry, message),
        onIgnored: (reason, detail) => this.ignored(id, reason, detail),
        onDidClose: () => entry.settle({ action: 'cancel' })
      });
      const entry: Pending = {
        id,
        webview,
        view,
        model,
        href,
        settled: false,
        busy: false,
        settle: response => {
          if (entry.settled) {
            return;
          }
          entry.settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.panels.settled(id);
          this.log.info(`request ${id} (${view.mode}): ${response.action}`);
          resolve(response);
          webview.dispose();
        }
      };
      this.panels.add(id, entry);
      const timer = setTimeout(() => entry.settle({ action: 'cancel' }), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async onMessage(entry: Pending, message: ElicitationWebviewMessage): Promise<void> {
    if (message.type === 'ready') {
      if (!entry.settled) {
        void entry.webview.post({ type: 'show', view: entry.view });
        this.renderedEmitter.fire(entry.id);
      }
      return;
    }
    if (message.requestId !== entry.id) {
      this.ignored(entry.id, 'forged', `reply for ${JSON.stringify(message.requestId)} arrived in another request's panel`);
      return;
    }
    if (entry.settled || entry.busy) {
      this.ignored(entry.id, 'replayed', 'reply after the request was answered');
      return;
    }
    if (message.action !== 'accept') {
      entry.settle({ action: message.action });
      return;
    }
    if (entry.model) {
      if (!message.values) {
        this.ignored(entry.id, 'malformed', 'accept without values');
        return;
      }
      const result = validateForm(entry.model, message.values);
      if (!result.ok) {
        this.log.info(`request ${entry.id}: the form did not validate (${Object.keys(result.errors).length} field(s))`);
        void entry.webview.post({ type: 'errors', requestId: entry.id, errors: result.errors });
        return;
      }
      entry.settle({ action: 'accept', content: result.content });
      return;
    }
    if (message.values) {
      this.ignored(entry.id, 'malformed', 'values sent for a URL request');
      return;
    }
    entry.busy = true;
    const href = entry.href ?? '';
    // Consent was given in the panel; the link opens only now, and only this exact URL.
    const open = this.options.openExternal ?? (uri => vscode.env.openExternal(uri));
    let opened = false;
    try {
      opened = await open(vscode.Uri.parse(href, true));
    } catch (e) {
      this.log.error(e instanceof Error ? e : String(e));
    }
    entry.busy = false;
    entry.settle(opened ? { action: 'accept' } : { action: 'cancel' });
  }

  private ignored(id: string, reason: IgnoreReason, detail: string): void {
    this.log.warn(`ignored a ${reason} message for request ${id}: ${detail}`);
    this.ignoredEmitter.fire({ requestId: id, reason });
  }

  dispose(): void {
    for (const p of this.panels.pendingEntries()) {
      p.settle({ action: 'cancel' });
    }
    this.ignoredEmitter.dispose();
    this.renderedEmitter.dispose();
  }
}

export function elicitationStrings(): ElicitationStrings {
  const t = vscode.l10n.t;
  return {
    heading: t('The MCP server asks for input'),
    server: t('Server'),
    messageClaim: t('Message from the server (untrusted text):'),
    required: t('required'),
    accept: t('Send'),
    decline: t('Decline'),
    cancel: t('Cancel'),
    openUrl: t('Open in browser'),
    urlIntro: t('The server asks you to open this page. Check the highlighted domain before you continue.'),
    domain: t('Domain'),
    fixErrors: t('Some fields need attention.'),
    invisibleWarning: t('This message contains invisible or direction-changing characters. They are shown as U+ code points.'),
    decided: t('Answer sent.')
  };
}
