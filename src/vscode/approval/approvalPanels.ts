import * as vscode from 'vscode';
import type { ApprovalDecision } from '../../common/approval/gate';
import { parseApprovalMessage, type ApprovalChoice, type ApprovalStrings, type ApprovalView, type ApprovalWebviewMessage } from '../../common/approval/messages';
import { revealString, truncate } from '../../common/approval/reveal';
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
 * the timeout, or the caller's abort signal decline the call; "always approve" counts
 * only where it was offered.
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
      title: vscode.l10n.t('Approve tool call: {0}', truncate(revealString(call.tool.name), 60)),
      view: viewOf(request, Date.now() + timeoutMs),
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
    if (reply.choice === 'approvePersistent' && !request.offerPersistent) {
      panel.ignore('forged', '"always approve" was not offered');
      return;
    }
    panel.settle(CHOICE_DECISIONS[reply.choice]);
  }
}

function viewOf(request: ApprovalRequest, deadline: number): ApprovalView {
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
