/**
 * The approval webview's protocol, both directions. Kept free of Node and VS Code
 * imports because the webview bundle uses it too. Everything arriving from the
 * webview goes through `parseApprovalMessage`; anything else is ignored.
 */
import type { DestructiveReason } from './destructive';
import type { DiffLine } from './diff';

export type ApprovalChoice = 'approve' | 'approveSession' | 'approvePersistent' | 'decline';
export const APPROVAL_CHOICES: readonly ApprovalChoice[] = ['approve', 'approveSession', 'approvePersistent', 'decline'];

/** Localized labels, filled in by the VS Code side (the webview has no l10n API). */
export interface ApprovalStrings {
  readonly heading: string;
  /** Before the server's name, above everything else: "Sent to". */
  readonly sentTo: string;
  readonly server: string;
  readonly account: string;
  readonly tenant: string;
  readonly objectId: string;
  readonly notSignedIn: string;
  readonly requestedBy: string;
  readonly requestedByLlm: string;
  readonly requestedByUser: string;
  readonly tool: string;
  readonly description: string;
  readonly descriptionClaim: string;
  readonly noDescription: string;
  readonly arguments: string;
  readonly annotations: string;
  readonly annotationsClaim: string;
  readonly noAnnotations: string;
  readonly claimReadOnly: string;
  readonly claimNotReadOnly: string;
  readonly claimDestructive: string;
  readonly claimNotDestructive: string;
  readonly claimIdempotent: string;
  readonly claimNotIdempotent: string;
  readonly claimOpenWorld: string;
  readonly claimClosedWorld: string;
  /** `{0}`: the title the annotations give. */
  readonly claimTitle: string;
  /** `{0}`: an annotation this version does not know, `{1}`: its value. */
  readonly claimOther: string;
  readonly destructiveClaimed: string;
  readonly destructiveDefault: string;
  readonly destructiveOnce: string;
  readonly confirmDestructive: string;
  readonly changedBadge: string;
  readonly changedExplanation: string;
  readonly newBadge: string;
  readonly showAll: string;
  readonly characters: string;
  readonly invisibleWarning: string;
  readonly approve: string;
  readonly approveSession: string;
  readonly approvePersistent: string;
  readonly decline: string;
  readonly timeLeft: string;
  readonly decided: string;
}

/** One annotation: its name (for ids) and what it claims, in words. */
export interface AnnotationClaim {
  readonly name: string;
  readonly text: string;
}

export interface ApprovalView {
  readonly callId: string;
  readonly serverUrl: string;
  readonly serverLabel: string;
  readonly account?: { readonly label: string; readonly objectId?: string; readonly tenantId?: string };
  readonly origin: 'llm' | 'user';
  readonly tool: { readonly name: string; readonly title?: string; readonly description?: string };
  readonly args: unknown;
  /** Each annotation in words: claims by the server, not facts (E4). */
  readonly annotations: readonly AnnotationClaim[];
  /** Set when the call counts as destructive (E9): the warning, the confirmation, no grants. */
  readonly destructive?: DestructiveReason;
  readonly definitionHash: string;
  readonly changed?: { readonly previousHash: string; readonly diff: readonly DiffLine[] };
  /** The buttons, in tab order; the host accepts no other choice for this call. */
  readonly choices: readonly ApprovalChoice[];
  /** Epoch ms after which the call is declined. */
  readonly deadline: number;
  readonly strings: ApprovalStrings;
}

export type ApprovalHostMessage =
  | { readonly type: 'show'; readonly view: ApprovalView }
  | { readonly type: 'decided' };

export type ApprovalWebviewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'decision'; readonly callId: string; readonly choice: ApprovalChoice };

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `v` is an object with exactly these keys. */
export function hasExactKeys(v: unknown, keys: readonly string[]): boolean {
  if (!isRecord(v)) {
    return false;
  }
  const own = Object.keys(v);
  return own.length === keys.length && keys.every(k => Object.prototype.hasOwnProperty.call(v, k));
}

const ID = /^[A-Za-z0-9._:-]{1,200}$/;

export function isCallId(v: unknown): v is string {
  return typeof v === 'string' && ID.test(v);
}

/** Validates a message from the approval webview; undefined means "ignore it". */
export function parseApprovalMessage(raw: unknown): ApprovalWebviewMessage | undefined {
  if (!isRecord(raw)) {
    return undefined;
  }
  switch (raw.type) {
    case 'ready':
      return hasExactKeys(raw, ['type']) ? { type: 'ready' } : undefined;
    case 'decision':
      return hasExactKeys(raw, ['type', 'callId', 'choice']) && isCallId(raw.callId) && typeof raw.choice === 'string' && (APPROVAL_CHOICES as readonly string[]).includes(raw.choice)
        ? { type: 'decision', callId: raw.callId, choice: raw.choice as ApprovalChoice }
        : undefined;
    default:
      return undefined;
  }
}
