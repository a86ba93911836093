/**
 * The approval panel's words. The host passes `vscode.l10n.t`; the webview has no l10n API
 * of its own, so every label travels in the view.
 */
import type { ApprovalStrings } from './messages';

/** `vscode.l10n.t`'s shape; `{0}` placeholders are left for the page to fill. */
export type Translate = (message: string, ...args: (string | number | boolean)[]) => string;

export function approvalStrings(t: Translate): ApprovalStrings {
  return {
    heading: t('Approve this tool call?'),
    sentTo: t('Sent to'),
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
    claimReadOnly: t('Only reads data'),
    claimNotReadOnly: t('May change data'),
    claimDestructive: t('May delete or overwrite data'),
    claimNotDestructive: t('Never deletes or overwrites data'),
    claimIdempotent: t('Calling it again with the same arguments changes nothing more'),
    claimNotIdempotent: t('Calling it again may change more'),
    claimOpenWorld: t('Reaches systems outside the server, such as the internet'),
    claimClosedWorld: t('Stays within the server\'s own system'),
    claimTitle: t('Display name: {0}', '{0}'),
    claimOther: t('{0}: {1}', '{0}', '{1}'),
    destructiveClaimed: t('This tool says it may delete or change data. Check the arguments before you approve.'),
    destructiveDefault: t('This tool does not say that it only reads data, so it may delete or change data. Check the arguments before you approve.'),
    destructiveOnce: t('Your approval covers this call only. Tools that may delete or change data are never approved for a whole session.'),
    confirmDestructive: t('I have checked the arguments'),
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
