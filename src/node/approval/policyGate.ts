import { destructiveReason } from '../../common/approval/destructive';
import { scoped, type Logger } from '../../common/log';
import { definitionHash } from './hash';
import type { ApprovalDecision, ApprovalGate, PendingToolCall } from '../../common/approval/gate';
import type { ApprovalPolicy, DefinitionChange } from './policy';

/** What the approval UI needs beyond the call itself. */
export interface ApprovalRequest {
  readonly call: PendingToolCall;
  readonly definitionHash: string;
  /** Set when the tool's definition differs from the one last approved. */
  readonly changed?: DefinitionChange;
  /** Offer "always approve" (only with `approval.rememberAcrossSessions`, never for a destructive tool). */
  readonly offerPersistent: boolean;
}

/** Asks the user; resolves with their decision (or a decline on close/timeout/abort). */
export type AskUser = (request: ApprovalRequest, signal?: AbortSignal) => Promise<ApprovalDecision>;

/** Receives every decision the gate makes, user-made or by policy. */
export interface DecisionSink {
  decided(call: PendingToolCall, decision: ApprovalDecision, definitionHash: string): void;
}

export interface PolicyGateOptions {
  readonly policy: ApprovalPolicy;
  readonly ask: AskUser;
  readonly audit: DecisionSink;
  readonly logger: Logger;
  readonly rememberAcrossSessions: () => boolean;
}

/** The ApprovalGate: policy first, otherwise the user; every outcome audited. */
export class PolicyGate implements ApprovalGate {
  private readonly log: Logger;

  constructor(private readonly options: PolicyGateOptions) {
    this.log = scoped(options.logger, 'approval');
  }

  async decide(call: PendingToolCall, signal?: AbortSignal): Promise<ApprovalDecision> {
    let hash = '';
    let decision: ApprovalDecision;
    try {
      hash = definitionHash(call.tool);
      if (signal?.aborted) {
        decision = { kind: 'declined', how: 'cancelled' };
      } else {
        const verdict = this.options.policy.evaluate(call.context.serverUrl, call.tool);
        hash = verdict.hash;
        if (verdict.kind === 'allow') {
          decision = { kind: 'approved', how: verdict.how === 'policy' ? 'policy' : verdict.how };
          this.log.info(`call ${call.id} to ${JSON.stringify(call.tool.name)} approved without asking: ${verdict.reason}`);
          // Pins what policy approved, so a later change to it is asked about (E1).
          await this.options.policy.record(call, decision);
        } else {
          const destructive = destructiveReason(call.tool.annotations) !== undefined;
          decision = await this.options.ask({ call, definitionHash: hash, changed: verdict.changed, offerPersistent: !destructive && this.options.rememberAcrossSessions() }, signal);
          if (decision.kind === 'approved' && destructive && decision.how !== 'once') {
            // E9: a destructive call is approved one at a time, whatever the answer asked for.
            this.log.warn(`call ${call.id}: a ${decision.how} grant was asked for a destructive tool; approved once`);
            decision = { kind: 'approved', how: 'once' };
          } else if (decision.kind === 'approved' && decision.how === 'persistent' && !this.options.rememberAcrossSessions()) {
            // The setting was switched off while the prompt was open.
            decision = { kind: 'approved', how: 'session' };
          }
          await this.options.policy.record(call, decision);
        }
      }
    } catch (e) {
      // Fail closed: anything unexpected is a decline, never an approval.
      this.log.error(e instanceof Error ? e : String(e));
      decision = { kind: 'declined', how: 'policy', reason: 'the approval step failed' };
    }
    try {
      this.options.audit.decided(call, decision, hash);
    } catch (e) {
      this.log.error(e instanceof Error ? e : String(e));
    }
    return decision;
  }
}
