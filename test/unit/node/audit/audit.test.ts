import assert from 'node:assert/strict';
import { argumentsHash } from '../../../../src/node/approval/hash';
import { AUDIT_FILE, AuditLog, formatAuditMarkdown, markdownCell, parseAuditJsonl, rotatedName, type AuditFiles, type AuditRecord } from '../../../../src/node/audit/audit';
import type { Logger } from '../../../../src/common/log';
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
