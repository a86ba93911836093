import assert from 'node:assert/strict';
import { argumentsHash } from '../../../../src/node/approval/hash';
import { AUDIT_FILE, AuditLog, formatAuditMarkdown, markdownCell, parseAuditJsonl, rotatedName, type AuditFiles, type AuditRecord } from '../../../../src/node/audit/audit';
import type { Logger } from '../../../../src/common/log';
import { GENESIS_PREV, lineHash, verifyAuditChain } from '../../../../src/node/audit/verify';
import { call, tool } from '../../../support/tools';

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const CANARY_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYW5hcnktdG9rZW4ifQ.Y2FuYXJ5LXNpZw';
const SECRET_ARG = 'argument-value-canary-4711';

class MemoryFiles implements AuditFiles {
  readonly files = new Map<string, string>();
  async append(name: string, text: string) { this.files.set(name, (this.files.get(name) ?? '') + text); }
  async size(name: string) { const t = this.files.get(name); return t === undefined ? undefined : Buffer.byteLength(t); }
  async read(name: string) { return this.files.get(name); }
  async rename(from: string, to: string) { this.files.set(to, this.files.get(from) ?? ''); this.files.delete(from); }
  async remove(name: string) { this.files.delete(name); }
  all(): string { return [...this.files.values()].join(''); }
}

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => { t += ms; } };
}

describe('audit log', () => {
  it('writes one record per call with hashes, decision, outcome, duration and size', async () => {
    const files = new MemoryFiles();
    const c = clock();
    const log = new AuditLog({ files, logger: quiet, now: c.now });
    const approved = call(tool(), { city: 'Paris' });
    log.decided(approved, { kind: 'approved', how: 'once' }, 'def-hash');
    c.advance(1234);
    await log.completed(approved.id, { outcome: 'ok', resultBytes: 42 });
    const declined = call();
    log.decided(declined, { kind: 'declined', how: 'user' }, 'def-hash');
    const failed = call();
    log.decided(failed, { kind: 'approved', how: 'session' }, 'def-hash');
    await log.completed(failed.id, { outcome: 'error', error: new TypeError(`request failed with Bearer ${CANARY_TOKEN}`) });
    const records = await log.readAll();
    assert.equal(records.length, 3);
    const [ok, no, err] = records;
    assert.equal(ok.time, new Date(1_700_000_000_000).toISOString());
    assert.equal(ok.server, 'https://mcp.contoso.example/mcp');
    assert.deepEqual(ok.account, { objectId: 'oid-1', tenantId: 'tid-1' });
    assert.equal(ok.tool, 'get_weather');
    assert.equal(ok.definitionHash, 'def-hash');
    assert.equal(ok.argumentsHash, argumentsHash({ city: 'Paris' }));
    assert.equal(ok.decision, 'approved');
    assert.equal(ok.how, 'once');
    assert.equal(ok.outcome, 'ok');
    assert.equal(ok.durationMs, 1234);
    assert.equal(ok.resultBytes, 42);
    assert.equal(no.outcome, 'not-run');
    assert.equal(no.how, 'user');
    assert.equal(err.outcome, 'error');
    assert.equal(err.errorType, 'TypeError');
  });

  it('never writes a token, argument values or the account name', async () => {
    const files = new MemoryFiles();
    const log = new AuditLog({ files, logger: quiet });
    const args = { city: SECRET_ARG, nested: { token: CANARY_TOKEN, list: [SECRET_ARG] } };
    const a = call(tool(), args);
    log.decided(a, { kind: 'approved', how: 'once' }, 'h');
    await log.completed(a.id, { outcome: 'error', error: new Error(`401 Authorization: Bearer ${CANARY_TOKEN} ${SECRET_ARG}`), resultBytes: 10 });
    log.decided(call(tool(), args), { kind: 'declined', how: 'timeout' }, 'h');
    await log.flush();
    const text = files.all() + (await log.exportJsonl()) + formatAuditMarkdown(await log.readAll());
    for (const secret of [CANARY_TOKEN, CANARY_TOKEN.split('.')[1], SECRET_ARG, 'ada@contoso.example', 'Paris']) {
      assert.ok(!text.includes(secret), `audit contains ${secret}`);
    }
    assert.equal(parseAuditJsonl(files.files.get(AUDIT_FILE) ?? '').length, 2);
  });

  it('writes approved calls that never completed as unknown on flush', async () => {
    const files = new MemoryFiles();
    const log = new AuditLog({ files, logger: quiet });
    log.decided(call(), { kind: 'approved', how: 'policy' }, 'h');
    await log.flush();
    assert.deepEqual((await log.readAll()).map(r => r.outcome), ['unknown']);
  });

  it('ignores a completion for an unknown or already completed call', async () => {
    const files = new MemoryFiles();
    const log = new AuditLog({ files, logger: quiet });
    const a = call();
    log.decided(a, { kind: 'approved', how: 'once' }, 'h');
    await log.completed(a.id, { outcome: 'ok' });
    await log.completed(a.id, { outcome: 'error' });
    await log.completed('nope', { outcome: 'ok' });
    assert.equal((await log.readAll()).length, 1);
  });

  it('rotates by size and keeps a bounded number of files, reading them oldest first', async () => {
    const files = new MemoryFiles();
    const log = new AuditLog({ files, logger: quiet, maxBytes: 700, keep: 2 });
    for (let i = 0; i < 20; i++) {
      log.decided(call(tool({ name: `tool_${i}` })), { kind: 'declined', how: 'user' }, 'h');
    }
    await log.flush();
    assert.deepEqual([...files.files.keys()].sort(), [AUDIT_FILE, rotatedName(1), rotatedName(2)].sort());
    for (const text of files.files.values()) {
      assert.ok(Buffer.byteLength(text) <= 700);
    }
    const names = (await log.readAll()).map(r => r.tool);
    assert.ok(names.length < 20, 'oldest records dropped');
    assert.equal(names[names.length - 1], 'tool_19');
    assert.deepEqual(names, [...names].sort((a, b) => Number(a.split('_')[1]) - Number(b.split('_')[1])));
  });

  it('skips a torn line', () => {
    assert.equal(parseAuditJsonl('{"time":"t","tool":"a"}\n{"time":"t","to').length, 1);
  });

  it('formats a markdown table that neutralizes server-chosen tool names', () => {
    const md = formatAuditMarkdown([record({ tool: 'evil|tool [click](command:workbench.action.terminal.new) <img src=x onerror=alert(1)>\n# heading' })]);
    const row = md.split('\n').find(l => l.includes('evil')) ?? '';
    const cells = tableCells(row);
    assert.equal(cells.length, 10, 'ten columns, the pipe in the name is escaped');
    for (const cell of cells.filter(Boolean)) {
      assert.ok(isOneCodeSpan(cell), `${cell} is one code span`);
    }
    assert.equal(codeSpanText(cells[3] ?? ''), 'evil|tool [click](command:workbench.action.terminal.new) <img src=x onerror=alert(1)> # heading');
    assert.ok(!/\n# heading/.test(md));
    assert.ok(md.includes('`5 ms`'));
  });

  it('keeps server-controlled links and HTML inert, in the tool name and the error type', () => {
    for (const evil of ['[x](command:foo)', '<img src=x onerror=alert(1)>', '![x](https://evil.example/x.png)', '<command:foo>', 'https://evil.example', '`](command:foo)`', '``<b>``', '$x$']) {
      const md = formatAuditMarkdown([record({ tool: evil, outcome: 'error', errorType: evil })]);
      const cells = tableCells(md.split('\n').at(-2) ?? '');
      assert.equal(cells.length, 10, evil);
      for (const cell of cells.filter(Boolean)) {
        assert.ok(isOneCodeSpan(cell), `${JSON.stringify(cell)} is one code span`);
      }
      assert.equal(codeSpanText(cells[3] ?? ''), evil, 'the tool name shows as typed');
      assert.equal(codeSpanText(cells[5] ?? ''), `error: ${evil}`);
    }
  });

  it('shows addresses, times and sizes without backslashes', () => {
    const md = formatAuditMarkdown([record({ server: 'http://127.0.0.1:3000/mcp', account: { objectId: 'oid-1', tenantId: 'tid-1' }, tool: 'get_weather', resultBytes: 1024 })]);
    assert.ok(!md.includes('\\'), 'no backslash escapes');
    for (const text of ['`http://127.0.0.1:3000/mcp`', '`2026-01-01T00:00:00.000Z`', '`oid-1 / tid-1`', '`get_weather`', '`approved (once)`', '`1024 B`']) {
      assert.ok(md.includes(text), `shows ${text}`);
    }
  });

  it('a call the user stopped reads "cancelled by you", never as a fault', () => {
    const md = formatAuditMarkdown([
      record({ tool: 'slow_task', outcome: 'cancelled', errorType: 'CancelledError' }),
      record({ tool: 'get_date', decision: 'declined', how: 'cancelled', outcome: 'not-run' })
    ]);
    const cells = (tool: string) => tableCells(md.split('\n').find(l => l.includes(tool)) ?? '').map(codeSpanText);
    assert.equal(cells('slow_task')[5], 'cancelled by you');
    assert.equal(cells('get_date')[4], 'declined (cancelled by you)');
    assert.doesNotMatch(md, /CancelledError|ServerUnreachableError/);
  });

  it('makes a cell a code span with a fence longer than any backtick run, and only pipes escaped', () => {
    assert.equal(markdownCell('a|b*c<d>_e.f-(g)'), '`a\\|b*c<d>_e.f-(g)`');
    assert.equal(markdownCell('a`b'), '``a`b``');
    assert.equal(markdownCell('``x'), '``` ``x ```');
    assert.equal(markdownCell(' x '), '`  x  `', 'the padding markdown strips is put back');
    assert.equal(markdownCell('line\r\nbreak\u2028'), '`line  break `');
    assert.equal(markdownCell(''), '');
    assert.equal(markdownCell('\n'), '');
  });
});

function record(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: '2026-01-01T00:00:00.000Z', callId: 'c', server: 'https://x.example/mcp', tool: 'get_weather',
    definitionHash: 'a'.repeat(64), argumentsHash: 'b'.repeat(64), origin: 'llm', decision: 'approved', how: 'once', outcome: 'ok', durationMs: 5, resultBytes: 9,
    ...overrides
  };
}

/** The cells of a table row, split where a GFM table splits: at pipes without a backslash. */
function tableCells(row: string): string[] {
  const parts = row.split(/(?<!\\)\|/);
  assert.equal(parts[0]?.trim(), '', 'the row starts with a pipe');
  assert.equal(parts.at(-1)?.trim(), '', 'the row ends with a pipe');
  return parts.slice(1, -1).map(c => c.trim());
}

/**
 * True when the cell is exactly one code span (CommonMark: a backtick run, closed only
 * by a run of the same length): everything in it renders as literal text.
 */
function isOneCodeSpan(cell: string): boolean {
  const fence = /^`+/.exec(cell)?.[0];
  if (!fence || cell.length <= 2 * fence.length || !cell.endsWith(fence)) {
    return false;
  }
  const inner = cell.slice(fence.length, -fence.length);
  return !inner.startsWith('`') && !inner.endsWith('`') && !(inner.match(/`+/g) ?? []).some(run => run.length === fence.length);
}

/** What a code span cell displays: the table's `\\|` back to `|`, the padding stripped. */
function codeSpanText(cell: string): string {
  const fence = /^`+/.exec(cell)?.[0] ?? '';
  const inner = cell.slice(fence.length, -fence.length).replace(/\\\|/g, '|');
  return inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() ? inner.slice(1, -1) : inner;
}

describe('audit log chain (docs/security.md E6, E11)', () => {
  function decline(log: AuditLog, name = 'get_weather') {
    log.decided(call(tool({ name })), { kind: 'declined', how: 'user' }, 'h');
  }

  /** A log with `count` declined calls, tool_0, tool_1, …, all written. */
  async function written(count: number, options: { maxBytes?: number; keep?: number } = {}) {
    const files = new MemoryFiles();
    const log = new AuditLog({ files, logger: quiet, ...options });
    for (let i = 0; i < count; i++) {
      decline(log, `tool_${i}`);
    }
    await log.flush();
    return { files, log };
  }

  it('gives every record the server, a record number and the hash of the line before it', async () => {
    const { files, log } = await written(3);
    const lines = (files.files.get(AUDIT_FILE) ?? '').split('\n').filter(Boolean);
    const records = lines.map(l => JSON.parse(l) as AuditRecord);
    assert.deepEqual(records.map(r => r.seq), [1, 2, 3]);
    assert.deepEqual(records.map(r => r.prev), [GENESIS_PREV, lineHash(lines[0]!), lineHash(lines[1]!)]);
    assert.ok(records.every(r => r.server === 'https://mcp.contoso.example/mcp'));
    assert.deepEqual(await log.verify(), { ok: true, records: 3, files: 1, firstSeq: 1, unchained: 0 });
  });

  it('continues the chain across rotated files', async () => {
    const { files, log } = await written(6, { maxBytes: 900, keep: 3 });
    assert.ok(files.files.has(rotatedName(1)), 'rotated');
    assert.ok(!files.files.has(rotatedName(3)), 'nothing dropped yet');
    const older = (files.files.get(rotatedName(1)) ?? '').split('\n').filter(Boolean);
    const first = JSON.parse((files.files.get(AUDIT_FILE) ?? '').split('\n')[0]!) as AuditRecord;
    assert.equal(first.prev, lineHash(older.at(-1)!), 'the first record of the new file hashes the last line of the previous one');
    const result = await log.verify();
    assert.ok(result.ok && result.records === 6 && result.files > 1 && result.firstSeq === 1, JSON.stringify(result));
  });

  it('catches a removed oldest file that rotation would have kept', async () => {
    const { files, log } = await written(6, { maxBytes: 900, keep: 3 });
    const oldest = [rotatedName(3), rotatedName(2), rotatedName(1)].find(n => files.files.has(n));
    assert.ok(oldest && oldest !== rotatedName(3), 'rotation kept every file so far');
    const next = (await log.readFiles()).map(f => f.name)[1];
    files.files.delete(oldest);
    const result = await log.verify();
    assert.deepEqual(result.ok ? undefined : { file: result.file, line: result.line, reason: result.reason }, { file: next, line: 1, reason: 'missing' });
  });

  it('accepts a log whose oldest files rotation dropped, starting mid-chain', async () => {
    const { log } = await written(8, { maxBytes: 700, keep: 1 });
    const result = await log.verify();
    assert.ok(result.ok && result.firstSeq > 1, JSON.stringify(result));
  });

  it('a new writer continues the chain of the file it finds, including records written before chaining', async () => {
    const files = new MemoryFiles();
    const legacy = `${JSON.stringify({ time: 't', callId: 'old', server: 's', tool: 'old_tool', outcome: 'ok' })}\n`;
    await files.append(AUDIT_FILE, legacy);
    const first = new AuditLog({ files, logger: quiet });
    decline(first);
    await first.flush();
    const second = new AuditLog({ files, logger: quiet });
    decline(second);
    await second.flush();
    const lines = (files.files.get(AUDIT_FILE) ?? '').split('\n').filter(Boolean);
    assert.deepEqual(lines.slice(1).map(l => (JSON.parse(l) as AuditRecord).seq), [1, 2]);
    assert.equal((JSON.parse(lines[1]!) as AuditRecord).prev, lineHash(lines[0]!));
    assert.deepEqual(await second.verify(), { ok: true, records: 3, files: 1, firstSeq: 1, unchained: 1 });
  });

  it('two writers on the same files (two windows) keep one chain when they take turns', async () => {
    const files = new MemoryFiles();
    const a = new AuditLog({ files, logger: quiet });
    const b = new AuditLog({ files, logger: quiet });
    for (let i = 0; i < 3; i++) {
      decline(a, `a_${i}`);
      await a.flush();
      decline(b, `b_${i}`);
      await b.flush();
    }
    assert.deepEqual(await a.verify(), { ok: true, records: 6, files: 1, firstSeq: 1, unchained: 0 });
  });

  it('starts a new line after a torn last line, and verification names the torn line', async () => {
    const files = new MemoryFiles();
    const log = new AuditLog({ files, logger: quiet });
    decline(log);
    await log.flush();
    await files.append(AUDIT_FILE, '{"time":"2026-01-01T00:00:00.000Z","to');
    const fresh = new AuditLog({ files, logger: quiet });
    decline(fresh);
    await fresh.flush();
    assert.equal((files.files.get(AUDIT_FILE) ?? '').split('\n').length, 4, 'the new record is on a line of its own');
    assert.deepEqual(await fresh.verify(), { ok: false, file: AUDIT_FILE, line: 2, reason: 'malformed' });
  });

  it('catches an edited, a deleted and a removed last line in the files it wrote', async () => {
    for (const [tamper, expected] of [
      [(lines: string[]) => { lines[1] = lines[1]!.replace('tool_1', 'tool_x'); }, { line: 3, reason: 'edited' }],
      [(lines: string[]) => { lines.splice(1, 1); }, { line: 2, reason: 'missing' }],
      [(lines: string[]) => { lines.pop(); }, { line: 3, reason: 'missing' }]
    ] as const) {
      const { files, log } = await written(4);
      const lines = (files.files.get(AUDIT_FILE) ?? '').split('\n').filter(Boolean);
      tamper(lines);
      files.files.set(AUDIT_FILE, lines.map(l => `${l}\n`).join(''));
      const result = await log.verify();
      assert.equal(result.ok, false);
      assert.deepEqual(result.ok ? undefined : { line: result.line, reason: result.reason }, expected);
    }
  });

  it('exports the lines verbatim, so the same verifier passes on the exported file', async () => {
    const { log } = await written(6, { maxBytes: 900, keep: 3 });
    const exported = await log.exportJsonl();
    const originals = (await log.readFiles()).map(f => f.text).join('');
    assert.equal(exported, originals);
    assert.deepEqual(verifyAuditChain([{ name: 'secure-mcp-audit.jsonl', text: exported }]), { ok: true, records: 6, files: 1, firstSeq: 1, unchained: 0 });
    const edited = exported.replace('tool_2', 'tool_x');
    assert.equal(verifyAuditChain([{ name: 'secure-mcp-audit.jsonl', text: edited }]).ok, false);
  });
});
