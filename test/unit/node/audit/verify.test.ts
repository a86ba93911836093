import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { plainL10n } from '../../../../src/common/l10n';
import { describeChain, GENESIS_PREV, lineHash, verifyAuditChain, type AuditFileText, type ChainResult } from '../../../../src/node/audit/verify';

/** A chain of `count` records written the way the audit log writes them. */
function chain(count: number, start = { seq: 1, prev: GENESIS_PREV }): string[] {
  const lines: string[] = [];
  let prev = start.prev;
  for (let i = 0; i < count; i++) {
    const line = JSON.stringify({ time: `2026-01-01T00:00:0${i % 10}.000Z`, callId: `c${i}`, server: 'https://mcp.contoso.example/mcp', tool: `tool_${i}`, outcome: 'ok', seq: start.seq + i, prev });
    lines.push(line);
    prev = lineHash(line);
  }
  return lines;
}

function file(lines: readonly string[], name = 'audit.jsonl'): AuditFileText {
  return { name, text: lines.map(l => `${l}\n`).join('') };
}

function broken(result: ChainResult) {
  assert.equal(result.ok, false, 'the chain is reported broken');
  return result as Extract<ChainResult, { ok: false }>;
}

describe('audit chain verification (docs/security.md E6, E11)', () => {
  it('hashes the exact line: SHA-256 hex of its UTF-8 text without the newline', () => {
    assert.equal(lineHash('{"a":"é"}'), createHash('sha256').update('{"a":"é"}', 'utf8').digest('hex'));
    assert.match(GENESIS_PREV, /^0{64}$/);
  });

  it('passes an intact chain and counts its records and files', () => {
    const result = verifyAuditChain([file(chain(5))]);
    assert.deepEqual(result, { ok: true, records: 5, files: 1, firstSeq: 1, unchained: 0 });
    assert.equal(describeChain(result, plainL10n), 'Audit log intact: 5 records in 1 file.');
  });

  it('passes an empty log', () => {
    assert.deepEqual(verifyAuditChain([]), { ok: true, records: 0, files: 0, firstSeq: 0, unchained: 0 });
    assert.deepEqual(verifyAuditChain([{ name: 'audit.jsonl', text: '' }]), { ok: true, records: 0, files: 1, firstSeq: 0, unchained: 0 });
  });

  it('follows the chain across files: the first record of a file hashes the last line of the one before', () => {
    const lines = chain(7);
    const result = verifyAuditChain([file(lines.slice(0, 3), 'audit.2.jsonl'), file(lines.slice(3, 5), 'audit.1.jsonl'), file(lines.slice(5), 'audit.jsonl')]);
    assert.deepEqual(result, { ok: true, records: 7, files: 3, firstSeq: 1, unchained: 0 });
    assert.equal(describeChain(result, plainL10n), 'Audit log intact: 7 records in 3 files.');
  });

  it('catches a file missing from the middle of a multi-file chain', () => {
    const lines = chain(7);
    const r = broken(verifyAuditChain([file(lines.slice(0, 3), 'audit.2.jsonl'), file(lines.slice(5), 'audit.jsonl')]));
    assert.deepEqual({ file: r.file, line: r.line, reason: r.reason }, { file: 'audit.jsonl', line: 1, reason: 'missing' });
  });

  it('catches an edited line at the line after it, whose prev no longer matches, and names the edited one', () => {
    const lines = chain(5);
    lines[1] = lines[1]!.replace('"outcome":"ok"', '"outcome":"error"');
    const r = broken(verifyAuditChain([file(lines)]));
    assert.deepEqual({ file: r.file, line: r.line, reason: r.reason, previous: r.previous }, { file: 'audit.jsonl', line: 3, reason: 'edited', previous: { file: 'audit.jsonl', line: 2 } });
    assert.equal(describeChain(r, plainL10n), 'Audit log broken at line 3 of audit.jsonl: its prev hash does not match line 2 of audit.jsonl, so that line was changed after it was written, or line 3 was not written after it.');
  });

  it('catches deleted lines as a gap in the record numbers, at the line after the gap', () => {
    for (const { from, count, text } of [
      { from: 2, count: 1, text: 'record 3 is missing before it (deleted).' },
      { from: 1, count: 3, text: 'records 2 to 4 are missing before it (deleted).' }
    ]) {
      const lines = chain(6);
      lines.splice(from, count);
      const r = broken(verifyAuditChain([file(lines)]));
      assert.deepEqual({ line: r.line, reason: r.reason, missing: r.missing }, { line: from + 1, reason: 'missing', missing: { from: from + 1, to: from + count } });
      assert.equal(describeChain(r, plainL10n), `Audit log broken at line ${from + 1} of audit.jsonl: ${text}`);
    }
  });

  it('catches deleted first lines: a log that must start at the beginning of its chain', () => {
    const r = broken(verifyAuditChain([file(chain(4).slice(1))]));
    assert.deepEqual({ line: r.line, reason: r.reason, missing: r.missing }, { line: 1, reason: 'missing', missing: { from: 1, to: 1 } });
  });

  it('accepts a log that begins mid-chain only where rotation may have dropped older files, and says so', () => {
    const result = verifyAuditChain([file(chain(4).slice(2), 'audit.2.jsonl')], { mayContinue: true });
    assert.deepEqual(result, { ok: true, records: 2, files: 1, firstSeq: 3, unchained: 0 });
    assert.equal(describeChain(result, plainL10n), 'Audit log intact: 2 records in 1 file. It begins at record 3; the records before it were rotated out of the log.');
  });

  it('catches a reordered pair', () => {
    const lines = chain(5);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    const r = broken(verifyAuditChain([file(lines)]));
    assert.deepEqual({ line: r.line, reason: r.reason }, { line: 2, reason: 'reordered' });
    assert.equal(describeChain(r, plainL10n), 'Audit log broken at line 2 of audit.jsonl: record 3 comes before record 2 (lines reordered).');
  });

  it('catches a forged line appended without the right prev', () => {
    const lines = chain(3);
    const forged = JSON.parse(lines[2]!) as Record<string, unknown>;
    lines.push(JSON.stringify({ ...forged, callId: 'forged', tool: 'delete_everything', seq: 4, prev: lineHash('something else') }));
    const r = broken(verifyAuditChain([file(lines)]));
    assert.deepEqual({ line: r.line, reason: r.reason, previous: r.previous }, { line: 4, reason: 'edited', previous: { file: 'audit.jsonl', line: 3 } });
  });

  it('catches a forged line appended with a genesis prev', () => {
    const lines = [...chain(3), JSON.stringify({ time: 't', tool: 'x', seq: 4, prev: GENESIS_PREV })];
    assert.equal(broken(verifyAuditChain([file(lines)])).line, 4);
  });

  it('catches a removed last record when the writer\'s last record is known', () => {
    const lines = chain(4);
    const head = { seq: 4, hash: lineHash(lines[3]!) };
    assert.equal(verifyAuditChain([file(lines)], { head }).ok, true);
    const r = broken(verifyAuditChain([file(lines.slice(0, 3))], { head }));
    assert.deepEqual({ line: r.line, reason: r.reason, missing: r.missing }, { line: 3, reason: 'missing', missing: { from: 4, to: 4, after: true } });
    assert.equal(describeChain(r, plainL10n), 'Audit log broken at line 3 of audit.jsonl: record 4 is missing after it (deleted).');
  });

  it('catches an edited last record when the writer\'s last record is known', () => {
    const lines = chain(4);
    const head = { seq: 4, hash: lineHash(lines[3]!) };
    lines[3] = lines[3]!.replace('tool_3', 'tool_x');
    const r = broken(verifyAuditChain([file(lines)], { head }));
    assert.deepEqual({ line: r.line, reason: r.reason }, { line: 4, reason: 'edited' });
    assert.equal(describeChain(r, plainL10n), 'Audit log broken at line 4 of audit.jsonl: it is not the record that was written there.');
  });

  it('reports a line that is not JSON, or a record without its chain fields, as malformed', () => {
    const lines = chain(3);
    const notJson = [...lines];
    notJson[1] = '{"time": oops';
    const r = broken(verifyAuditChain([file(notJson)]));
    assert.deepEqual({ line: r.line, reason: r.reason }, { line: 2, reason: 'malformed' });
    assert.equal(describeChain(r, plainL10n), 'Audit log broken at line 2 of audit.jsonl: it is not a valid audit record.');
    const noPrev = [...lines];
    const { prev: _prev, ...rest } = JSON.parse(lines[1]!) as Record<string, unknown>;
    noPrev[1] = JSON.stringify(rest);
    assert.deepEqual(pick(broken(verifyAuditChain([file(noPrev)]))), { line: 2, reason: 'malformed' });
    for (const bad of ['[1,2]', 'null', '"x"', JSON.stringify({ seq: 2, prev: 'abc' }), JSON.stringify({ seq: 'two', prev: GENESIS_PREV })]) {
      assert.deepEqual(pick(broken(verifyAuditChain([file([lines[0]!, bad])]))), { line: 2, reason: 'malformed' }, bad);
    }
  });

  it('reports a file that ends in the middle of a record as truncated', () => {
    const lines = chain(3);
    const text = `${lines[0]}\n${lines[1]}\n${lines[2]!.slice(0, 40)}`;
    const r = broken(verifyAuditChain([{ name: 'audit.jsonl', text }]));
    assert.deepEqual({ line: r.line, reason: r.reason }, { line: 3, reason: 'truncated' });
    assert.equal(describeChain(r, plainL10n), 'Audit log broken at line 3 of audit.jsonl: the file ends in the middle of this record.');
  });

  it('accepts a complete last record without its newline, and ignores blank lines', () => {
    const lines = chain(3);
    assert.equal(verifyAuditChain([{ name: 'x.jsonl', text: `${lines[0]}\n\n${lines[1]}\r\n${lines[2]}` }]).ok, false, 'a CRLF changes the line: its hash no longer matches');
    assert.equal(verifyAuditChain([{ name: 'x.jsonl', text: `${lines[0]}\n\n${lines[1]}\n${lines[2]}` }]).ok, true);
  });

  it('accepts records written before chaining only at the start, counts them, and chains the first new record to them', () => {
    const legacy = [JSON.stringify({ time: 't0', tool: 'old_a' }), JSON.stringify({ time: 't1', tool: 'old_b' })];
    const chained = chain(2, { seq: 1, prev: lineHash(legacy[1]!) });
    const result = verifyAuditChain([file([...legacy, ...chained])]);
    assert.deepEqual(result, { ok: true, records: 4, files: 1, firstSeq: 1, unchained: 2 });
    assert.equal(describeChain(result, plainL10n), 'Audit log intact: 4 records in 1 file. The first 2 were written before records were chained and cannot be checked.');
    const r = broken(verifyAuditChain([file([...legacy, ...chain(2)])]));
    assert.deepEqual({ line: r.line, reason: r.reason }, { line: 3, reason: 'edited' }, 'the first chained record must hash the last unchained one');
    assert.deepEqual(pick(broken(verifyAuditChain([file([...chain(2), legacy[0]!])]))), { line: 3, reason: 'malformed' }, 'an unchained record after the chain began');
  });

  it('names the file and line across files', () => {
    const lines = chain(5);
    lines[3] = lines[3]!.replace('tool_3', 'tool_x');
    const r = broken(verifyAuditChain([file(lines.slice(0, 4), 'audit.1.jsonl'), file(lines.slice(4), 'audit.jsonl')]));
    assert.deepEqual({ file: r.file, line: r.line, reason: r.reason, previous: r.previous }, { file: 'audit.jsonl', line: 1, reason: 'edited', previous: { file: 'audit.1.jsonl', line: 4 } });
    assert.equal(describeChain(r, plainL10n), 'Audit log broken at line 1 of audit.jsonl: its prev hash does not match line 4 of audit.1.jsonl, so that line was changed after it was written, or line 1 was not written after it.');
  });
});

function pick(r: Extract<ChainResult, { ok: false }>) {
  return { line: r.line, reason: r.reason };
}
