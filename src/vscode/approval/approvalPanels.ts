import * as vscode from 'vscode';
import type { ApprovalDecision } from '../../common/approval/gate';
import { parseApprovalMessage, type ApprovalChoice, type ApprovalStrings, type ApprovalView, type ApprovalWebviewMessage } from '../../common/approval/messages';
import type { ApprovalRequest, AskUser } from '../../node/approval/policyGate';
import { revealString, truncate } from '../../common/approval/reveal';
import { scoped, type Logger } from '../../common/log';
import { PanelRegistry } from '../panels/panelRegistry';
import { SecureWebview, type IgnoreReason } from '../panels/webviewHost';

export interface ApprovalPanelsOptions {
  readonly extensionUri: vscode.Uri;
  readonly logger: Logger;
  /** `secureMcp.approval.timeoutSeconds`, read when each prompt opens. */
  readonly timeoutSeconds: () => number;
  /** Lets integration tests drive the page (never set in the product). */
  readonly testHooks?: boolean;
}

export interface IgnoredMessage {
  readonly callId: string;
  readonly reason: IgnoreReason;
}

interface Pending {
  readonly request: ApprovalRequest;
  readonly webview: SecureWebview<ApprovalWebviewMessage>;
  readonly view: ApprovalView;
  settled: boolean;
  settle(decision: ApprovalDecision): void;
}

const CHOICE_DECISIONS: Record<ApprovalChoice, ApprovalDecision> = {
  approve: { kind: 'approved', how: 'once' },
  approveSession: { kind: 'approved', how: 'session' },
  approvePersistent: { kind: 'approved', how: 'persistent' },
  decline: { kind: 'declined', how: 'user' }
};

/**
 * One approval panel per pending call: the panel is bound to that call's id, and a
 * decision for any other id, a second decision, or a malformed message is ignored.
 * Closing the panel, the timeout, or the caller's abort signal decline the call.
 */
export class ApprovalPanels implements vscode.Disposable {
  private readonly log: Logger;
  private readonly panels = new PanelRegistry<Pending>();
  private readonly ignoredEmitter = new vscode.EventEmitter<IgnoredMessage>();
  private readonly renderedEmitter = new vscode.EventEmitter<string>();
  /** Fires for every ignored message (tests assert on it). */
  readonly onDidIgnoreMessage = this.ignoredEmitter.event;
  /** Fires with the call id once a panel's page asked for its content. */
  readonly onDidRender = this.renderedEmitter.event;

  constructor(private readonly options: ApprovalPanelsOptions) {
    this.log = scoped(options.logger, 'approval-ui');
  }

  /** The AskUser function for PolicyGate. */
  readonly ask: AskUser = (request, signal) => this.open(request, signal);

  pendingIds(): string[] {
    return this.panels.pendingIds();
  }

  /** The webview of a pending (or recently decided) call, for tests. */
  webviewFor(callId: string): SecureWebview<ApprovalWebviewMessage> | undefined {
    return this.panels.get(callId)?.webview;
  }

  private open(request: ApprovalRequest, signal?: AbortSignal): Promise<ApprovalDecision> {
    const call = request.call;
    if (signal?.aborted) {
      return Promise.resolve({ kind: 'declined', how: 'cancelled' });
    }
    if (this.panels.has(call.id)) {
      // Ids are one-shot; a second prompt for the same id would let one click decide twice.
      this.log.warn(`a second approval for call ${call.id} was refused`);
      return Promise.resolve({ kind: 'declined', how: 'policy', reason: 'duplicate call id' });
    }
    const timeoutMs = Math.max(1, this.options.timeoutSeconds()) * 1000;
    return new Promise<ApprovalDecision>(resolve => {
      const onAbort = () => entry.settle({ kind: 'declined', how: 'cancelled' });
      const title = vscode.l10n.t('Approve tool call: {0}', truncate(revealString(call.tool.name), 60));
      const view = this.viewOf(request, Date.now() + timeoutMs);
      const webview: SecureWebview<ApprovalWebviewMessage> = new SecureWebview<ApprovalWebviewMessage>({
        viewType: 'secureMcp.approval',
        title,
        extensionUri: this.options.extensionUri,
        bundle: 'approval',
        testHooks: this.options.testHooks ?? false,
        parse: parseApprovalMessage,
        onMessage: message => this.onMessage(entry, message),
        onIgnored: (reason, detail) => this.ignored(call.id, reason, detail),
        onDidClose: () => entry.settle({ kind: 'declined', how: 'closed' })
      });
      const entry: Pending = {
        request,
        webview,
        view,
        settled: false,
        settle: decision => {
          if (entry.settled) {
            return;
          }
          entry.settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.panels.settled(call.id);
          this.log.info(`call ${call.id}: ${decision.kind} (${decision.how})`);
          resolve(decision);
          void webview.post({ type: 'decided' });
          webview.dispose();
        }
      };
      this.panels.add(call.id, entry);
      const timer = setTimeout(() => entry.settle({ kind: 'declined', how: 'timeout' }), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.log.info(`asking about call ${call.id} (${JSON.stringify(call.tool.name)} on ${call.context.serverUrl})${request.changed ? ', definition changed' : ''}`);
    });
  }

  private onMessage(entry: Pending, message: ApprovalWebviewMessage): void {
    const callId = entry.request.call.id;
    if (message.type === 'ready') {
      if (!entry.settled) {
        void entry.webview.post({ type: 'show', view: entry.view });
        this.renderedEmitter.fire(callId);
      }
      return;
    }
    if (message.callId !== callId) {
      this.ignored(callId, 'forged', `decision for ${JSON.stringify(message.callId)} arrived in the panel of another call`);
      return;
    }
    if (entry.settled) {
      this.ignored(callId, 'replayed', 'decision after the call was already decided');
      return;
    }
    if (message.choice === 'approvePersistent' && !entry.request.offerPersistent) {
      this.ignored(callId, 'forged', '"always approve" was not offered');
      return;
    }
    entry.settle(CHOICE_DECISIONS[message.choice]);
  }

  private ignored(callId: string, reason: IgnoreReason, detail: string): void {
    this.log.warn(`ignored a ${reason} message for call ${callId}: ${detail}`);
    this.ignoredEmitter.fire({ callId, reason });
  }

  private viewOf(request: ApprovalRequest, deadline: number): ApprovalView {
    const { call } = request;
    const annotations = Object.entries(call.tool.annotations ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([name, value]) => ({ name, value: typeof value === 'string' ? value : JSON.stringify(value) }));
    return {
      callId: call.id,
      serverUrl: call.context.serverUrl,
      serverLabel: call.context.serverLabel,
      account: call.context.account,
      origin: call.origin,
      tool: { name: call.tool.name, title: call.tool.title, description: call.tool.description },
      args: call.args,
      annotations,
      definitionHash: request.definitionHash,
      changed: request.changed ? { previousHash: request.changed.previousHash, diff: request.changed.diff } : undefined,
      offerPersistent: request.offerPersistent,
      deadline,
      strings: approvalStrings()
    };
  }

  dispose(): void {
    for (const p of this.panels.pendingEntries()) {
      p.settle({ kind: 'declined', how: 'cancelled' });
    }
    this.ignoredEmitter.dispose();
    this.renderedEmitter.dispose();
  }
}

export function approvalStrings(): ApprovalStrings {
  const t = vscode.l10n.t;
  return {
    heading: t('Approve this tool call?'),
    server: t('Server'),
    account: t('Account'),
    tenant: t('Tenant'),
    objectId: t('Object id'),
    notSignedIn: t('Not signed in'),
    requestedBy: t('Requested by'),
    requestedByLlm: t('the language model'),
    requestedByUser: t('you (/call)'),
    tool: t('Tool'),
    description: t('Description'),
    descriptionClaim: t('As claimed by the server. Untrusted text.'),
    noDescription: t('(no description)'),
    arguments: t('Arguments (everything that will be sent)'),
    annotations: t('Annotations'),
    annotationsClaim: t('Claims made by the server, not verified facts.'),
    noAnnotations: t('(none)'),
    changedBadge: t('Definition changed'),
    changedExplanation: t('This tool\'s definition differs from the one you approved before. Earlier approvals do not apply.'),
    newBadge: t('New tool'),
    showAll: t('show all'),
    characters: t('characters'),
    invisibleWarning: t('This request contains invisible or direction-changing characters. They are shown as U+ code points.'),
    approve: t('Approve'),
    approveSession: t('Approve for this session'),
    approvePersistent: t('Always approve this tool version'),
    decline: t('Decline'),
    timeLeft: t('Declined automatically in {0} s.', '{0}'),
    decided: t('Decision sent.')
  };
}
