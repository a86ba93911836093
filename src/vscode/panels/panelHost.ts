import * as vscode from 'vscode';
import { watchBoot, type BootWatch } from '../../common/bootWatch';
import { scoped, type Logger } from '../../common/log';
import { PanelRegistry } from './panelRegistry';
import { SecureWebview, type IgnoreReason } from './webviewHost';

type Ready = { readonly type: 'ready' };

/** A page that has not said `ready` after this long is reloaded, at most BOOT_RELOADS times. */
const BOOT_WAIT_MS = 15_000;
const BOOT_RELOADS = 3;

/** A message a page sends: `ready` once it can show its view, otherwise a reply. */
export type PageMessage = Ready | { readonly type: string };

/** Why a question ended without a reply. */
export type Unanswered = 'closed' | 'timeout' | 'cancelled';

export interface IgnoredMessage {
  /** The id of the panel the message arrived in. */
  readonly id: string;
  readonly reason: IgnoreReason;
}

export interface PanelHostOptions<M extends PageMessage> {
  readonly extensionUri: vscode.Uri;
  readonly logger: Logger;
  /** The log component, e.g. `approval-ui`. */
  readonly component: string;
  /** What the log calls one id: `call`, `request`. */
  readonly noun: string;
  readonly viewType: string;
  /** Name of the bundle under dist/media. */
  readonly bundle: string;
  /** Lets integration tests drive the pages (never set in the product). */
  readonly testHooks?: boolean;
  /** Validates what a page posts; undefined means "ignore it". */
  readonly parse: (raw: unknown) => M | undefined;
  /** The id a reply names: a reply naming another id than its panel's is forged. */
  readonly repliesTo: (reply: Exclude<M, Ready>) => string;
}

/** One question put to the user in a panel of its own. */
export interface PanelQuestion<M extends PageMessage, V, R> {
  /** One-shot: a host never asks about the same id twice. */
  readonly id: string;
  readonly title: string;
  /** Posted to the page each time it reports `ready`. */
  readonly view: V;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** The answer when nobody replied: the panel closed, the time ran out, or the caller (or dispose) cancelled. */
  readonly unanswered: (why: Unanswered) => R;
  /** Acts on a reply that names this panel's id and came before the answer. */
  readonly onReply: (panel: PendingPanel<M, V, R>, reply: Exclude<M, Ready>) => void | Promise<void>;
  /** Runs once with the answer, before the panel closes. */
  readonly onAnswer: (panel: PendingPanel<M, V, R>, answer: R) => void;
}

export interface PendingPanel<M extends PageMessage, V, R> {
  readonly id: string;
  readonly view: V;
  readonly webview: SecureWebview<M>;
  readonly settled: boolean;
  /** Set while a reply is being acted on (a link opening): replies meanwhile count as replayed. */
  busy: boolean;
  /** Watches the page boot; told when it said `ready`. */
  readonly boot: BootWatch;
  /** Answers the question; every later call is a no-op. */
  settle(answer: R): void;
  ignore(reason: IgnoreReason, detail: string): void;
}

/**
 * The lifecycle every question panel shares: one panel per id, bound to that id; a reply
 * naming another id, a second reply or a malformed message is ignored (and reported);
 * closing the panel, the timeout, the caller's abort signal and dispose() each settle it
 * with a default answer. Subclasses build the view and say what a reply means.
 */
export class PanelHost<M extends PageMessage, V, R> implements vscode.Disposable {
  protected readonly log: Logger;
  private readonly panels = new PanelRegistry<{ readonly panel: PendingPanel<M, V, R>; readonly question: PanelQuestion<M, V, R> }>();
  private readonly ignoredEmitter = new vscode.EventEmitter<IgnoredMessage>();
  private readonly renderedEmitter = new vscode.EventEmitter<string>();
  /** Fires for every ignored message (tests assert on it). */
  readonly onDidIgnoreMessage = this.ignoredEmitter.event;
  /** Fires with the id once a panel's page asked for its content. */
  readonly onDidRender = this.renderedEmitter.event;

  constructor(private readonly config: PanelHostOptions<M>) {
    this.log = scoped(config.logger, config.component);
  }

  pendingIds(): string[] {
    return this.panels.pendingIds();
  }

  /** The webview of a pending (or recently decided) id, for tests. */
  webviewFor(id: string): SecureWebview<M> | undefined {
    return this.panels.get(id)?.panel.webview;
  }

  /** True for an id that is pending or was decided recently: ids are one-shot. */
  protected hasAsked(id: string): boolean {
    return this.panels.has(id);
  }

  /** Opens the panel for `question`; resolves with its one answer. */
  protected openPanel(question: PanelQuestion<M, V, R>): Promise<R> {
    const { id, signal } = question;
    return new Promise<R>(resolve => {
      const onAbort = () => panel.settle(question.unanswered('cancelled'));
      const webview = new SecureWebview<M>({
        viewType: this.config.viewType,
        title: question.title,
        extensionUri: this.config.extensionUri,
        bundle: this.config.bundle,
        testHooks: this.config.testHooks ?? false,
        parse: this.config.parse,
        onMessage: message => this.receive(panel, question, message),
        onIgnored: (reason, detail) => panel.ignore(reason, detail),
        onDidClose: () => panel.settle(question.unanswered('closed'))
      });
      let settled = false;
      const boot = watchBoot({
        intervalMs: BOOT_WAIT_MS,
        attempts: BOOT_RELOADS,
        reload: attempt => {
          this.log.warn(`the page of ${this.config.noun} ${id} did not load within ${BOOT_WAIT_MS / 1000} s; reloading it (${attempt}/${BOOT_RELOADS})`);
          webview.render();
        },
        gaveUp: () => this.log.error(`the page of ${this.config.noun} ${id} did not load after ${BOOT_RELOADS} reloads; close the panel and ask again`)
      });
      const panel: PendingPanel<M, V, R> = {
        id,
        view: question.view,
        webview,
        get settled() {
          return settled;
        },
        busy: false,
        boot,
        settle: answer => {
          if (settled) {
            return;
          }
          settled = true;
          boot.stop();
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.panels.settled(id);
          resolve(answer);
          question.onAnswer(panel, answer);
          webview.dispose();
        },
        ignore: (reason, detail) => {
          this.log.warn(`ignored a ${reason} message for ${this.config.noun} ${id}: ${detail}`);
          this.ignoredEmitter.fire({ id, reason });
        }
      };
      this.panels.add(id, { panel, question });
      const timer = setTimeout(() => panel.settle(question.unanswered('timeout')), question.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private receive(panel: PendingPanel<M, V, R>, question: PanelQuestion<M, V, R>, message: M): void {
    if (isReady(message)) {
      panel.boot.booted();
      if (!panel.settled) {
        void panel.webview.post({ type: 'show', view: panel.view });
        this.renderedEmitter.fire(panel.id);
      }
      return;
    }
    const reply = message as Exclude<M, Ready>;
    const named = this.config.repliesTo(reply);
    if (named !== panel.id) {
      panel.ignore('forged', `a reply for ${JSON.stringify(named)} arrived in the panel of another ${this.config.noun}`);
      return;
    }
    if (panel.settled || panel.busy) {
      panel.ignore('replayed', `a reply after the ${this.config.noun} was answered`);
      return;
    }
    void question.onReply(panel, reply);
  }

  dispose(): void {
    for (const { panel, question } of this.panels.pendingEntries()) {
      panel.settle(question.unanswered('cancelled'));
    }
    this.ignoredEmitter.dispose();
    this.renderedEmitter.dispose();
  }
}

function isReady(message: PageMessage): message is Ready {
  return message.type === 'ready';
}
