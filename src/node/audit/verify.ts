import { createHash } from 'node:crypto';
import type { L10n } from '../../common/l10n';

/**
 * The hash chain of the audit log (docs/security.md E6). Every record carries `seq` (1, 2,
 * 3, … across all files) and `prev`, the SHA-256 of the previous record's line exactly as
 * written; the first record of a log has `prev` = GENESIS_PREV. An edit changes a line's
 * hash, so the record after it no longer matches; a deletion leaves a gap in `seq`.
 * Without a key this proves accidents and casual edits, not a determined rewrite of
 * everything after the edit (see docs/security.md).
 */
export const GENESIS_PREV = '0'.repeat(64);

/** SHA-256 (hex) of one line of the log: its UTF-8 text without the newline. */
export function lineHash(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

/** One file of the log (or an exported copy), oldest file first. */
export interface AuditFileText {
  readonly name: string;
  readonly text: string;
}

export interface VerifyOptions {
  /**
   * The log may begin mid-chain: rotation may have dropped the files before it (or it is an
   * export of such a log). Otherwise the first record must be record 1 with GENESIS_PREV.
   */
  readonly mayContinue?: boolean;
  /**
   * The last record this process wrote. Removing records from the end of a chain leaves
   * nothing to compare with; knowing the head catches it.
   */
  readonly head?: { readonly seq: number; readonly hash: string };
}

export type ChainBreak = 'edited' | 'missing' | 'reordered' | 'malformed' | 'truncated';

export interface ChainIntact {
  readonly ok: true;
  /** Records read, including unchained ones. */
  readonly records: number;
  readonly files: number;
  /** `seq` of the first chained record (0 when there is none). */
  readonly firstSeq: number;
  /** Records at the start written before records were chained: read, but not checkable. */
  readonly unchained: number;
}

export interface ChainBroken {
  readonly ok: false;
  /** The first line that fails verification (1-based, within `file`). */
  readonly file: string;
  readonly line: number;
  readonly reason: ChainBreak;
  /** For 'edited': the line whose hash the record at `line` does not match. */
  readonly previous?: { readonly file: string; readonly line: number };
  /** For 'missing': the record numbers that are not there, before `line` or (`after`) after it. */
  readonly missing?: { readonly from: number; readonly to: number; readonly after?: boolean };
  /** For 'reordered': the record found and the one expected. */
  readonly order?: { readonly found: number; readonly expected: number };
}

export type ChainResult = ChainIntact | ChainBroken;

interface Line {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  /** The file ends with this line and no newline after it. */
  readonly unterminated: boolean;
}

interface Chained {
  readonly seq: number;
  readonly prev: string;
}

type Parsed = { kind: 'chained'; record: Chained } | { kind: 'unchained' } | { kind: 'malformed' };

/**
 * Verifies the chain over `files` (oldest first) and returns the first broken line, or
 * the counts when every line checks out. Pure: no file access, no clock.
 */
export function verifyAuditChain(files: readonly AuditFileText[], options: VerifyOptions = {}): ChainResult {
  const lines = [...nonBlankLines(files)];
  let records = 0;
  let unchained = 0;
  let firstSeq = 0;
  let before: { readonly at: Line; readonly seq: number } | undefined;
  let headSeen = false;
  for (let i = 0; i < lines.length; i++) {
    const at = lines[i]!;
    const parsed = parse(at.text);
    if (parsed.kind === 'malformed') {
      return breakAt(at, at.unterminated ? 'truncated' : 'malformed');
    }
    if (parsed.kind === 'unchained') {
      if (firstSeq !== 0) {
        return breakAt(at, 'malformed');
      }
      unchained++;
      records++;
      before = { at, seq: 0 };
      continue;
    }
    const { seq, prev } = parsed.record;
    if (!before) {
      // The first record of the log.
      if (!(seq === 1 && prev === GENESIS_PREV) && !options.mayContinue) {
        return breakAt(at, 'missing', { missing: { from: 1, to: Math.max(1, seq - 1) } });
      }
    } else {
      const expected = before.seq + 1;
      if (seq !== expected) {
        const next = lines[i + 1] ? parse(lines[i + 1]!.text) : undefined;
        const nextSeq = next?.kind === 'chained' ? next.record.seq : undefined;
        if (seq > expected && !(nextSeq !== undefined && nextSeq < seq)) {
          return breakAt(at, 'missing', { missing: { from: expected, to: seq - 1 } });
        }
        return breakAt(at, 'reordered', { order: { found: seq, expected } });
      }
      if (prev !== lineHash(before.at.text)) {
        return breakAt(at, 'edited', { previous: { file: before.at.file, line: before.at.line } });
      }
    }
    if (firstSeq === 0) {
      firstSeq = seq;
    }
    if (options.head && seq === options.head.seq) {
      if (lineHash(at.text) !== options.head.hash) {
        return breakAt(at, 'edited');
      }
      headSeen = true;
    }
    records++;
    before = { at, seq };
  }
  if (options.head && !headSeen) {
    const lastSeq = before?.seq ?? 0;
    if (lastSeq < options.head.seq) {
      const last = before?.at ?? { file: files.at(-1)?.name ?? '', line: 0 };
      return breakAt(last, 'missing', { missing: { from: lastSeq + 1, to: options.head.seq, after: true } });
    }
  }
  return { ok: true, records, files: files.length, firstSeq, unchained };
}

function breakAt(at: { readonly file: string; readonly line: number }, reason: ChainBreak, extra: Partial<ChainBroken> = {}): ChainBroken {
  return { ok: false, file: at.file, line: at.line, reason, ...extra };
}

function* nonBlankLines(files: readonly AuditFileText[]): Generator<Line> {
  for (const f of files) {
    const parts = f.text.split('\n');
    for (let i = 0; i < parts.length; i++) {
      const text = parts[i]!;
      if (text.trim()) {
        yield { file: f.name, line: i + 1, text, unterminated: i === parts.length - 1 };
      }
    }
  }
}

function parse(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'malformed' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'malformed' };
  }
  const v = value as Record<string, unknown>;
  if (!('seq' in v) && !('prev' in v)) {
    return typeof v.time === 'string' && typeof v.tool === 'string' ? { kind: 'unchained' } : { kind: 'malformed' };
  }
  if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 1 || typeof v.prev !== 'string' || !/^[0-9a-f]{64}$/.test(v.prev)) {
    return { kind: 'malformed' };
  }
  return { kind: 'chained', record: { seq: v.seq, prev: v.prev } };
}

/** What "Verify Audit Log" says about a result. */
export function describeChain(result: ChainResult, l10n: L10n): string {
  if (result.ok) {
    const counts = result.files === 1
      ? l10n.t('Audit log intact: {0} records in 1 file.', result.records)
      : l10n.t('Audit log intact: {0} records in {1} files.', result.records, result.files);
    const notes = [counts];
    if (result.firstSeq > 1) {
      notes.push(l10n.t('It begins at record {0}; the records before it were rotated out of the log.', result.firstSeq));
    }
    if (result.unchained > 0) {
      notes.push(l10n.t('The first {0} were written before records were chained and cannot be checked.', result.unchained));
    }
    return notes.join(' ');
  }
  return l10n.t('Audit log broken at line {0} of {1}: {2}', result.line, result.file, whyBroken(result, l10n));
}

function whyBroken(result: ChainBroken, l10n: L10n): string {
  switch (result.reason) {
    case 'edited':
      return result.previous
        ? l10n.t('its prev hash does not match line {0} of {1}, so that line was changed after it was written, or line {2} was not written after it.', result.previous.line, result.previous.file, result.line)
        : l10n.t('it is not the record that was written there.');
    case 'missing': {
      const { from, to, after } = result.missing ?? { from: 0, to: 0 };
      if (from === to) {
        return after ? l10n.t('record {0} is missing after it (deleted).', from) : l10n.t('record {0} is missing before it (deleted).', from);
      }
      return after ? l10n.t('records {0} to {1} are missing after it (deleted).', from, to) : l10n.t('records {0} to {1} are missing before it (deleted).', from, to);
    }
    case 'reordered':
      return l10n.t('record {0} comes before record {1} (lines reordered).', result.order?.found ?? 0, result.order?.expected ?? 0);
    case 'malformed':
      return l10n.t('it is not a valid audit record.');
    case 'truncated':
      return l10n.t('the file ends in the middle of this record.');
  }
}
