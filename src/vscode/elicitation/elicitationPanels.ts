import * as vscode from 'vscode';
import { buildFormModel, initialValues, validateForm, type FormContent, type FormModel } from '../../common/elicitation/form';
import { parseElicitationMessage, type ElicitationStrings, type ElicitationView, type ElicitationWebviewMessage } from '../../common/elicitation/messages';
import { RateLimiter } from '../../common/elicitation/rateLimit';
import { analyzeElicitationUrl } from '../../common/elicitation/url';
import { revealString, truncate } from '../../common/approval/reveal';
import type { Logger } from '../../common/log';
import { PanelHost, type PendingPanel } from '../panels/panelHost';

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

type Pending = PendingPanel<ElicitationWebviewMessage, ElicitationView, ElicitationResponse>;
type Submit = Extract<ElicitationWebviewMessage, { type: 'submit' }>;

let nextId = 0;

/**
 * Form and URL elicitation in a webview (docs/security.md D6; the lifecycle is PanelHost's).
 * Replies are validated against the requested schema here, whatever the page already
 * checked; URL mode opens the link with openExternal only after the user pressed "Open".
 */
export class ElicitationPanels extends PanelHost<ElicitationWebviewMessage, ElicitationView, ElicitationResponse> {
  private readonly limiter: RateLimiter;

  constructor(private readonly options: ElicitationPanelsOptions) {
    super({
      extensionUri: options.extensionUri,
      logger: options.logger,
      component: 'elicitation',
      noun: 'request',
      viewType: 'secureMcp.elicitation',
      bundle: 'elicitation',
      testHooks: options.testHooks,
      parse: parseElicitationMessage,
      repliesTo: submit => submit.requestId
    });
    this.limiter = options.rateLimiter ?? new RateLimiter();
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
    return this.openPanel({
      id,
      title: vscode.l10n.t('{0} asks for input', truncate(revealString(view.serverLabel), 60)),
      view,
      timeoutMs: Math.max(1, this.options.timeoutSeconds?.() ?? 600) * 1000,
      signal,
      unanswered: () => ({ action: 'cancel' }),
      onReply: (panel, reply) => this.reply(panel, reply, model, href),
      onAnswer: (panel, answer) => this.log.info(`request ${panel.id} (${view.mode}): ${answer.action}`)
    });
  }

  private async reply(panel: Pending, message: Submit, model: FormModel | undefined, href: string | undefined): Promise<void> {
    if (message.action !== 'accept') {
      panel.settle({ action: message.action });
      return;
    }
    if (model) {
      if (!message.values) {
        panel.ignore('malformed', 'accept without values');
        return;
      }
      const result = validateForm(model, message.values);
      if (!result.ok) {
        this.log.info(`request ${panel.id}: the form did not validate (${Object.keys(result.errors).length} field(s))`);
        void panel.webview.post({ type: 'errors', requestId: panel.id, errors: result.errors });
        return;
      }
      panel.settle({ action: 'accept', content: result.content });
      return;
    }
    if (message.values) {
      panel.ignore('malformed', 'values sent for a URL request');
      return;
    }
    panel.busy = true;
    // Consent was given in the panel; the link opens only now, and only this exact URL.
    const open = this.options.openExternal ?? (uri => vscode.env.openExternal(uri));
    let opened = false;
    try {
      opened = await open(vscode.Uri.parse(href ?? '', true));
    } catch (e) {
      this.log.error(e instanceof Error ? e : String(e));
    }
    panel.busy = false;
    panel.settle(opened ? { action: 'accept' } : { action: 'cancel' });
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
