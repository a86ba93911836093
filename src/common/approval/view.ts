/**
 * The approval panel's model: what one pending call shows and which choices it offers.
 * The host builds it and checks each reply against the same `offeredChoices`, so a
 * choice the page never showed cannot be made by a message either.
 */
import type { Tool } from '@modelcontextprotocol/client';
import { destructiveReason } from './destructive';
import type { DiffLine } from './diff';
import type { PendingToolCall } from './gate';
import type { AnnotationClaim, ApprovalChoice, ApprovalStrings, ApprovalView } from './messages';

/** What the approval step knows about one call when it asks (PolicyGate's ApprovalRequest fits). */
export interface ApprovalViewInput {
  readonly call: PendingToolCall;
  readonly definitionHash: string;
  readonly changed?: { readonly previousHash: string; readonly diff: readonly DiffLine[] };
  /** "Always approve" was asked for by the settings; a destructive call never gets it. */
  readonly offerPersistent: boolean;
}

/**
 * Decline and Approve always; the grants that outlive the call only for a tool that is not
 * destructive (E9): no session or persistent grant, whatever else asks for one.
 */
export function offeredChoices(input: Pick<ApprovalViewInput, 'call' | 'offerPersistent'>): readonly ApprovalChoice[] {
  if (destructiveReason(input.call.tool.annotations)) {
    return ['decline', 'approve'];
  }
  return input.offerPersistent ? ['decline', 'approve', 'approveSession', 'approvePersistent'] : ['decline', 'approve', 'approveSession'];
}

export function approvalView(input: ApprovalViewInput, deadline: number, strings: ApprovalStrings): ApprovalView {
  const { call } = input;
  return {
    callId: call.id,
    serverUrl: call.context.serverUrl,
    serverLabel: call.context.serverLabel,
    account: call.context.account,
    origin: call.origin,
    tool: { name: call.tool.name, title: call.tool.title, description: call.tool.description },
    args: call.args,
    annotations: annotationClaims(call.tool.annotations, strings),
    destructive: destructiveReason(call.tool.annotations),
    definitionHash: input.definitionHash,
    changed: input.changed ? { previousHash: input.changed.previousHash, diff: input.changed.diff } : undefined,
    choices: offeredChoices(input),
    deadline,
    strings
  };
}

const HINT_WORDS: Record<string, readonly [keyof ApprovalStrings, keyof ApprovalStrings]> = {
  readOnlyHint: ['claimReadOnly', 'claimNotReadOnly'],
  destructiveHint: ['claimDestructive', 'claimNotDestructive'],
  idempotentHint: ['claimIdempotent', 'claimNotIdempotent'],
  openWorldHint: ['claimOpenWorld', 'claimClosedWorld']
};

/**
 * Each annotation as a sentence ("Only reads data"), in the order the server sent them.
 * Values of the wrong type and unknown annotations are shown as they are, never dropped.
 */
export function annotationClaims(annotations: Tool['annotations'], s: ApprovalStrings): AnnotationClaim[] {
  const out: AnnotationClaim[] = [];
  for (const [name, value] of Object.entries((annotations ?? {}) as Record<string, unknown>)) {
    if (value === undefined) {
      continue;
    }
    const words = HINT_WORDS[name];
    if (words && typeof value === 'boolean') {
      out.push({ name, text: s[words[value ? 0 : 1]] });
    } else if (name === 'title' && typeof value === 'string') {
      out.push({ name, text: fill(s.claimTitle, value) });
    } else {
      const shown = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
      out.push({ name, text: fill(s.claimOther, name, shown) });
    }
  }
  return out;
}

/** `{0}`, `{1}` in a localized template, in one pass so server text is never read as a placeholder. */
function fill(template: string, ...values: string[]): string {
  return template.replace(/\{(\d)\}/g, (m, i: string) => values[Number(i)] ?? m);
}
