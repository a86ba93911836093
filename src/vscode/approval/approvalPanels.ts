import * as vscode from 'vscode';
import type { ApprovalDecision } from '../../common/approval/gate';
import { parseApprovalMessage, type ApprovalChoice, type ApprovalView, type ApprovalWebviewMessage } from '../../common/approval/messages';
import { revealString, truncate } from '../../common/approval/reveal';
import { approvalStrings } from '../../common/approval/strings';
import { approvalView, offeredChoices } from '../../common/approval/view';
import type { Logger } from '../../common/log';
import type { ApprovalRequest, AskUser } from '../../node/approval/policyGate';
import { PanelHost, type PendingPanel } from '../panels/panelHost';

export interface ApprovalPanelsOptions {
  readonly extensionUri: vscode.Uri;
  readonly logger: Logger;
  /** `secureMcp.approval.timeoutSeconds`, read when each prompt opens. */
  readonly timeoutSeconds: () => number;
  /** Lets integration tests drive the page (never set in the product). */
  readonly testHooks?: boolean;
}

type Decision = Extract<ApprovalWebviewMessage, { type: 'decision' }>;

const CHOICE_DECISIONS: Record<ApprovalChoice, ApprovalDecision> = {
  approve: { kind: 'approved', how: 'once' },
  approveSession: { kind: 'approved', how: 'session' },
  approvePersistent: { kind: 'approved', how: 'persistent' },
  decline: { kind: 'declined', how: 'user' }
};

/**
 * One approval panel per pending call (the lifecycle is PanelHost's). Closing the panel,
 * the timeout, or the caller's abort signal decline the call; a choice counts only where
 * it was offered, so no message gets a destructive call approved for the session (E9).
 */
export class ApprovalPanels extends PanelHost<ApprovalWebviewMessage, ApprovalView, ApprovalDecision> {
  constructor(private readonly options: ApprovalPanelsOptions) {
    super({
      extensionUri: options.extensionUri,
      logger: options.logger,
      component: 'approval-ui',
      noun: 'call',
      viewType: 'secureMcp.approval',
      bundle: 'approval',
      testHooks: options.testHooks,
      parse: parseApprovalMessage,
      repliesTo: decision => decision.callId
    });
  }

  /** The AskUser function for PolicyGate. */
  readonly ask: AskUser = (request, signal) => this.open(request, signal);

  private open(request: ApprovalRequest, signal?: AbortSignal): Promise<ApprovalDecision> {
    const call = request.call;
    if (signal?.aborted) {
      return Promise.resolve({ kind: 'declined', how: 'cancelled' });
    }
    if (this.hasAsked(call.id)) {
      // Ids are one-shot; a second prompt for the same id would let one click decide twice.
      this.log.warn(`a second approval for call ${call.id} was refused`);
      return Promise.resolve({ kind: 'declined', how: 'policy', reason: 'duplicate call id' });
    }
    const timeoutMs = Math.max(1, this.options.timeoutSeconds()) * 1000;
    const decision = this.openPanel({
      id: call.id,
      title: vscode.l10n.t('Approve tool call: {0} on {1}', truncate(revealString(call.tool.name), 60), truncate(revealString(call.context.serverLabel), 40)),
      view: approvalView(request, Date.now() + timeoutMs, approvalStrings(vscode.l10n.t)),
      timeoutMs,
      signal,
      unanswered: how => ({ kind: 'declined', how }),
      onReply: (panel, reply) => this.decide(panel, request, reply),
      onAnswer: (panel, answer) => {
        this.log.info(`call ${panel.id}: ${answer.kind} (${answer.how})`);
        void panel.webview.post({ type: 'decided' });
      }
    });
    this.log.info(`asking about call ${call.id} (${JSON.stringify(call.tool.name)} on ${call.context.serverUrl})${request.changed ? ', definition changed' : ''}`);
    return decision;
  }

  private decide(panel: PendingPanel<ApprovalWebviewMessage, ApprovalView, ApprovalDecision>, request: ApprovalRequest, reply: Decision): void {
    if (!offeredChoices(request).includes(reply.choice)) {
      panel.ignore('forged', `"${reply.choice}" was not offered`);
      return;
    }
    panel.settle(CHOICE_DECISIONS[reply.choice]);
  }
}
