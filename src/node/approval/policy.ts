import type { Tool } from '@modelcontextprotocol/client';
import { canonicalJsonPretty, toolDefinition, type ToolDefinition } from '../../common/approval/canonical';
import { destructiveReason } from '../../common/approval/destructive';
import { definitionHash } from './hash';
import { lineDiff, type DiffLine } from '../../common/approval/diff';
import type { ApprovalDecision, PendingToolCall } from '../../common/approval/gate';
import type { PinStore } from '../../common/approval/pins';

/** The `secureMcp.approval.*` settings the policy reads (Settings['approval'] fits). */
export interface PolicySettings {
  readonly rememberAcrossSessions: boolean;
  readonly trustedServers: readonly string[];
  readonly allowReadOnlyFromTrustedServers: boolean;
}

/** What changed since the user last approved this tool. */
export interface DefinitionChange {
  readonly previousHash: string;
  readonly previous: ToolDefinition;
  readonly current: ToolDefinition;
  /** Line diff of the canonical, indented JSON of both definitions. */
  readonly diff: readonly DiffLine[];
}

export type PolicyVerdict =
  | { readonly kind: 'allow'; readonly how: 'session' | 'persistent' | 'policy'; readonly hash: string; readonly reason: string }
  | { readonly kind: 'ask'; readonly hash: string; readonly changed?: DefinitionChange };

/**
 * Who may skip the approval prompt. Default: nobody. Grants are keyed by server +
 * tool + definition hash, so a changed tool never matches an old grant, and a pinned
 * definition that differs from the current one forces a prompt before anything else,
 * policy included: every approval pins, so a trusted read-only tool that changes is
 * asked about like any other. A destructive tool (E9, `destructiveReason`) is never
 * approved by a grant: neither recorded nor honoured, whatever the caller hands in.
 */
export class ApprovalPolicy {
  private readonly sessionGrants = new Set<string>();

  constructor(private readonly pins: PinStore, private readonly settings: () => PolicySettings, private readonly now: () => Date = () => new Date()) {}

  evaluate(serverUrl: string, tool: Tool): PolicyVerdict {
    const hash = definitionHash(tool);
    const pin = this.pins.getPin(serverUrl, tool.name);
    if (pin && pin.hash !== hash) {
      const current = toolDefinition(tool);
      return {
        kind: 'ask',
        hash,
        changed: { previousHash: pin.hash, previous: pin.definition, current, diff: lineDiff(canonicalJsonPretty(pin.definition), canonicalJsonPretty(current)) }
      };
    }
    if (destructiveReason(tool.annotations)) {
      return { kind: 'ask', hash };
    }
    if (this.sessionGrants.has(grantKey(serverUrl, tool.name, hash))) {
      return { kind: 'allow', how: 'session', hash, reason: 'approved for this session' };
    }
    const s = this.settings();
    if (s.rememberAcrossSessions && this.pins.isAllowed(serverUrl, tool.name, hash)) {
      return { kind: 'allow', how: 'persistent', hash, reason: 'on the persistent allow-list' };
    }
    // readOnlyHint is the server's claim (E4): it counts only where the user said they
    // trust the server *and* enabled the setting.
    if (s.allowReadOnlyFromTrustedServers && tool.annotations?.readOnlyHint === true && isTrusted(serverUrl, s.trustedServers)) {
      return { kind: 'allow', how: 'policy', hash, reason: 'read-only tool on a trusted server' };
    }
    return { kind: 'ask', hash };
  }

  /**
   * Remembers an approval, by the user or by policy: pins the definition (unless that
   * exact one is pinned already) and adds the grant the user asked for.
   */
  async record(call: PendingToolCall, decision: ApprovalDecision): Promise<void> {
    if (decision.kind !== 'approved') {
      return;
    }
    const serverUrl = call.context.serverUrl;
    const hash = definitionHash(call.tool);
    if (this.pins.getPin(serverUrl, call.tool.name)?.hash !== hash) {
      await this.pins.setPin(serverUrl, call.tool.name, { hash, definition: toolDefinition(call.tool), pinnedAt: this.now().toISOString() });
    }
    if (destructiveReason(call.tool.annotations)) {
      return;
    }
    if (decision.how === 'session' || decision.how === 'persistent') {
      this.sessionGrants.add(grantKey(serverUrl, call.tool.name, hash));
    }
    if (decision.how === 'persistent' && this.settings().rememberAcrossSessions && !this.pins.isAllowed(serverUrl, call.tool.name, hash)) {
      await this.pins.allow(serverUrl, call.tool.name, hash);
    }
  }

  /** Tools approved for this session (each server, tool and definition once): what a reset clears besides the allow-list. */
  get sessionGrantCount(): number {
    return this.sessionGrants.size;
  }

  /** "Reset Tool Approvals": forgets session grants and the persistent allow-list. */
  async reset(options: { readonly pins?: boolean } = {}): Promise<void> {
    this.sessionGrants.clear();
    await (options.pins ? this.pins.clearAll() : this.pins.clearAllowList());
  }

  /** A new session (sign-out, another server) starts without session grants. */
  endSession(): void {
    this.sessionGrants.clear();
  }
}

function grantKey(serverUrl: string, tool: string, hash: string): string {
  return `${serverUrl}\u0000${tool}\u0000${hash}`;
}

/** Compares URLs the way the user would: scheme and host case-insensitive, no trailing slash. */
export function normalizeServerUrl(value: string): string {
  try {
    const u = new URL(value);
    u.hash = '';
    return u.href.replace(/\/+$/, '');
  } catch {
    return value.trim().replace(/\/+$/, '');
  }
}

export function isTrusted(serverUrl: string, trusted: readonly string[]): boolean {
  const key = normalizeServerUrl(serverUrl);
  return trusted.some(t => normalizeServerUrl(t) === key);
}
