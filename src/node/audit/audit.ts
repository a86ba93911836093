import { scoped, type Logger } from '../../common/log';
import { argumentsHash } from '../approval/hash';
import type { ApprovalDecision, PendingToolCall } from '../../common/approval/gate';
import type { DecisionSink } from '../approval/policyGate';
import { GENESIS_PREV, lineHash, verifyAuditChain, type AuditFileText, type ChainResult } from './verify';

export type AuditOutcome = 'ok' | 'error' | 'cancelled' | 'not-run' | 'unknown';

/**
 * One line of the audit log. Deliberately has no field for tokens, argument values,
 * results or the account's display name: only hashes, ids and sizes (docs/security.md E6).
 */
export interface AuditRecord {
  readonly time: string;
  readonly callId: string;
  readonly server: string;
  readonly account?: { readonly objectId?: string; readonly tenantId?: string };
  readonly tool: string;
  readonly definitionHash: string;
  readonly argumentsHash: string;
  readonly origin: 'llm' | 'user';
  readonly decision: 'approved' | 'declined';
  readonly how: string;
  readonly outcome: AuditOutcome;
  readonly durationMs?: number;
  readonly resultBytes?: number;
  /** The error class (e.g. ServerUnreachableError), never its message. */
  readonly errorType?: string;
  /** Record number, 1, 2, 3, … across rotated files; absent on records written before chaining. */
  readonly seq?: number;
  /** SHA-256 (hex) of the previous record's line as written, or GENESIS_PREV (docs/security.md E6). */
  readonly prev?: string;
}

type UnchainedRecord = Omit<AuditRecord, 'seq' | 'prev'>;

/** The end of the chain: what the next record continues from. */
interface Head {
  readonly seq: number;
  readonly hash: string;
  /** Size of AUDIT_FILE right after the head was written or read: a different size means another writer. */
  readonly size: number;
  readonly endsWithNewline: boolean;
}

/** Appends text to a file; the VS Code side backs it with `fs` in global storage. */
export interface AuditFiles {
  append(name: string, text: string): Promise<void>;
  /** Size in bytes, or undefined when the file does not exist. */
  size(name: string): Promise<number | undefined>;
  read(name: string): Promise<string | undefined>;
  rename(from: string, to: string): Promise<void>;
  remove(name: string): Promise<void>;
}

export interface AuditLogOptions {
  readonly files: AuditFiles;
  readonly logger: Logger;
  /** Rotate when the current file would grow past this (default 5 MB). */
  readonly maxBytes?: number;
  /** Rotated files kept besides the current one (default 2). */
  readonly keep?: number;
  readonly now?: () => Date;
  /** Approved calls waiting for their outcome; beyond this the oldest is written as 'unknown'. */
  readonly maxPending?: number;
}

export const AUDIT_FILE = 'audit.jsonl';

export function rotatedName(n: number): string {
  return `audit.${n}.jsonl`;
}

interface PendingEntry {
  readonly record: Omit<UnchainedRecord, 'outcome'>;
  readonly started: number;
}

/**
 * The audit trail: a DecisionSink for the gate, plus `completed()` for the caller that
 * ran an approved call. One JSONL record per call, written once its outcome is known.
 */
export class AuditLog implements DecisionSink {
  private readonly log: Logger;
  private readonly pending = new Map<string, PendingEntry>();
  private queue: Promise<void> = Promise.resolve();
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly now: () => Date;
  private head: Head | undefined;
  /** The last record this instance wrote, which verification must find (a cut tail is otherwise invisible). */
  private written: { readonly seq: number; readonly hash: string } | undefined;

  constructor(private readonly options: AuditLogOptions) {
    this.log = scoped(options.logger, 'audit');
    this.maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
    this.keep = Math.max(0, options.keep ?? 2);
    this.now = options.now ?? (() => new Date());
  }

  decided(call: PendingToolCall, decision: ApprovalDecision, definitionHash: string): void {
    const account = call.context.account;
    const record: Omit<UnchainedRecord, 'outcome'> = {
      time: this.now().toISOString(),
      callId: call.id,
      server: call.context.serverUrl,
      ...(account && (account.objectId || account.tenantId) ? { account: { objectId: account.objectId, tenantId: account.tenantId } } : {}),
      tool: call.tool.name,
      definitionHash,
      argumentsHash: safeArgumentsHash(call.args),
      origin: call.origin,
      decision: decision.kind,
      how: decision.how
    };
    if (decision.kind === 'declined') {
      void this.write({ ...record, outcome: 'not-run' });
      return;
    }
    this.pending.set(call.id, { record, started: this.now().getTime() });
    const max = this.options.maxPending ?? 200;
    while (this.pending.size > max) {
      const [oldest, entry] = this.pending.entries().next().value as [string, PendingEntry];
      this.pending.delete(oldest);
      void this.write({ ...entry.record, outcome: 'unknown' });
    }
  }

  /** Records how an approved call ended. Unknown or already completed ids are ignored. */
  completed(callId: string, result: { readonly outcome: 'ok' | 'error' | 'cancelled'; readonly resultBytes?: number; readonly error?: unknown }): Promise<void> {
    const entry = this.pending.get(callId);
    if (!entry) {
      this.log.warn(`completion for unknown call ${JSON.stringify(callId)} ignored`);
      return this.queue;
    }
    this.pending.delete(callId);
    const errorType = result.error instanceof Error ? result.error.name : undefined;
    return this.write({
      ...entry.record,
      outcome: result.outcome,
      durationMs: Math.max(0, this.now().getTime() - entry.started),
      ...(typeof result.resultBytes === 'number' ? { resultBytes: result.resultBytes } : {}),
      ...(errorType ? { errorType } : {})
    });
  }

  /** Writes approved calls that never reported an outcome (on dispose). */
  flush(): Promise<void> {
    for (const entry of this.pending.values()) {
      void this.write({ ...entry.record, outcome: 'unknown' });
    }
    this.pending.clear();
    return this.queue;
  }

  /** All records, oldest first, across rotated files. Malformed lines are skipped. */
  async readAll(): Promise<AuditRecord[]> {
    return (await this.readFiles()).flatMap(f => parseAuditJsonl(f.text));
  }

  /** The files of the log that exist, oldest first, as written. */
  async readFiles(): Promise<AuditFileText[]> {
    await this.queue;
    const out: AuditFileText[] = [];
    for (const name of this.fileNames()) {
      const text = await this.options.files.read(name);
      if (text !== undefined) {
        out.push({ name, text });
      }
    }
    return out;
  }

  /**
   * The log's lines verbatim, oldest first, for export: the chain in them stays checkable
   * offline with the same verifier.
   */
  async exportJsonl(): Promise<string> {
    return (await this.readFiles()).map(f => (f.text && !f.text.endsWith('\n') ? `${f.text}\n` : f.text)).join('');
  }

  /**
   * Verifies the chain over the files. The log may start mid-chain only where rotation can
   * have dropped files before the oldest one kept.
   */
  async verify(): Promise<ChainResult> {
    const files = await this.readFiles();
    const mayContinue = this.keep === 0 || files.some(f => f.name === rotatedName(this.keep));
    return verifyAuditChain(files, { mayContinue, ...(this.written ? { head: this.written } : {}) });
  }

  private fileNames(): string[] {
    return [...Array.from({ length: this.keep }, (_, i) => rotatedName(this.keep - i)), AUDIT_FILE];
  }

  private write(record: UnchainedRecord): Promise<void> {
    const next = this.queue.then(async () => {
      const files = this.options.files;
      let size = (await files.size(AUDIT_FILE)) ?? 0;
      const head = this.head && this.head.size === size ? this.head : await this.readHead(size);
      const line = JSON.stringify({ ...record, seq: head.seq + 1, prev: head.hash });
      // A torn last line (a crash mid-write) stays as it is; the new record starts on its own line.
      let text = `${size > 0 && !head.endsWithNewline ? '\n' : ''}${line}\n`;
      if (size > 0 && size + Buffer.byteLength(text) > this.maxBytes) {
        await this.rotate();
        size = 0;
        text = `${line}\n`;
      }
      await files.append(AUDIT_FILE, text);
      const hash = lineHash(line);
      this.head = { seq: head.seq + 1, hash, size: size + Buffer.byteLength(text), endsWithNewline: true };
      this.written = { seq: head.seq + 1, hash };
    });
    this.queue = next.catch(e => this.log.error(e instanceof Error ? e : String(e)));
    return this.queue;
  }

  /**
   * Where the chain ends: the last line of the newest file that has one (another window may
   * have written since), its record number, or the genesis of an empty log.
   */
  private async readHead(size: number): Promise<Head> {
    for (const name of [...this.fileNames()].reverse()) {
      const text = await this.options.files.read(name);
      const lines = (text ?? '').split('\n').filter(l => l.trim());
      const last = lines.at(-1);
      if (last === undefined) {
        continue;
      }
      const endsWithNewline = name !== AUDIT_FILE || (text ?? '').endsWith('\n');
      return { seq: lastSeq(lines), hash: lineHash(last), size, endsWithNewline };
    }
    return { seq: 0, hash: GENESIS_PREV, size, endsWithNewline: true };
  }

  private async rotate(): Promise<void> {
    const files = this.options.files;
    if (this.keep === 0) {
      await files.remove(AUDIT_FILE);
      return;
    }
    if ((await files.size(rotatedName(this.keep))) !== undefined) {
      await files.remove(rotatedName(this.keep));
    }
    for (let n = this.keep - 1; n >= 1; n--) {
      if ((await files.size(rotatedName(n))) !== undefined) {
        await files.rename(rotatedName(n), rotatedName(n + 1));
      }
    }
    await files.rename(AUDIT_FILE, rotatedName(1));
  }
}

/** The record number of the last line that has one; 0 when none has (records written before chaining). */
function lastSeq(lines: readonly string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v = JSON.parse(lines[i]!) as { seq?: unknown };
      if (typeof v?.seq === 'number') {
        return v.seq;
      }
    } catch {
      // A torn line: look further back.
    }
  }
  return 0;
}

function safeArgumentsHash(args: unknown): string {
  try {
    return argumentsHash(args);
  } catch {
    return 'unhashable';
  }
}

export function parseAuditJsonl(text: string): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) {
      continue;
    }
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && typeof (v as AuditRecord).time === 'string' && typeof (v as AuditRecord).tool === 'string') {
        out.push(v as AuditRecord);
      }
    } catch {
      // A torn last line after a crash; the rest of the log is still useful.
    }
  }
  return out;
}

/**
 * A markdown table cell showing `value` as literal text. Tool names and errors come from
 * the server, so nothing in them may become a link, HTML or a new column: the value goes
 * in a code span, where markdown makes no links (not even bare URLs) and no HTML, and a
 * `\\|` (which a GFM table turns back into `|`) is the only escape needed. Control
 * characters become spaces, so a value cannot end the row.
 */
export function markdownCell(value: string): string {
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  if (!text.trim()) {
    return '';
  }
  // The fence is one backtick longer than the longest run inside, so no run can close it.
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map(run => run.length));
  const fence = '`'.repeat(longest + 1);
  // Markdown strips one space on each side when both are there; pad so that nothing is lost.
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

const CANCELLED_BY_YOU = 'cancelled by you';

/** The outcome column: a call the user stopped is theirs, not an error type (CancelledError). */
function outcomeCell(r: AuditRecord): string {
  if (r.outcome === 'cancelled') {
    return CANCELLED_BY_YOU;
  }
  return r.errorType ? `${r.outcome}: ${r.errorType}` : r.outcome;
}

/** "Show audit log": the records as a markdown document, newest first. */
export function formatAuditMarkdown(records: readonly AuditRecord[], title = 'Secure MCP audit log'): string {
  const lines = [`# ${title}`, '', `${records.length} tool call${records.length === 1 ? '' : 's'} recorded. Hashes are SHA-256 of canonical JSON; argument values are never stored.`, ''];
  if (!records.length) {
    return lines.join('\n');
  }
  lines.push('| Time | Server | Account (oid / tenant) | Tool | Decision | Outcome | Duration | Result size | Definition | Arguments |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of [...records].reverse()) {
    const account = r.account ? `${r.account.objectId ?? '?'} / ${r.account.tenantId ?? '?'}` : '';
    lines.push(`| ${[
      r.time,
      r.server,
      account,
      r.tool,
      `${r.decision} (${r.how === 'cancelled' ? CANCELLED_BY_YOU : r.how})`,
      outcomeCell(r),
      typeof r.durationMs === 'number' ? `${r.durationMs} ms` : '',
      typeof r.resultBytes === 'number' ? `${r.resultBytes} B` : '',
      String(r.definitionHash ?? '').slice(0, 12),
      String(r.argumentsHash ?? '').slice(0, 12)
    ].map(v => markdownCell(String(v))).join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}
