import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { RateLimiter } from '../../src/common/elicitation/rateLimit';
import type { Logger } from '../../src/common/log';
import type { ProbeReport } from '../../src/common/testHooks';
import { ElicitationPanels, type ElicitationResponse } from '../../src/vscode/elicitation/elicitationPanels';
import { api, extension, testDriver, waitFor, withTimeout } from './util';

const SERVER = 'https://mcp.contoso.com/mcp';
const XSS = '<img src=x onerror="document.documentElement.dataset.pwned=1"><script>window.pwned=1</script> [x](javascript:alert(1)) rtl\u202Eexe zero\u200Bwidth';
const logger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const SCHEMA = {
  type: 'object',
  properties: {
    reason: { type: 'string', title: 'Reason', description: 'Why this action is needed', minLength: 1, maxLength: 200, default: 'Routine maintenance' },
    email: { type: 'string', title: 'Email', format: 'email' },
    when: { type: 'string', title: 'Date', format: 'date' },
    quantity: { type: 'integer', title: 'Quantity', minimum: 1, maximum: 10, default: 1 },
    budget: { type: 'number', title: 'Budget (EUR)', minimum: 0, default: 9.5 },
    notify: { type: 'boolean', title: 'Notify the team', default: true },
    priority: { type: 'string', title: 'Priority', oneOf: [{ const: 'low', title: 'Low' }, { const: 'normal', title: 'Normal' }, { const: 'high', title: 'High' }], default: 'normal' },
    size: { type: 'string', title: 'Size', enum: ['s', 'm'], enumNames: ['Small', 'Medium'] },
    tags: { type: 'array', title: 'Tags', items: { enum: ['a', 'b', 'c'] }, default: ['b'] }
  },
  required: ['reason', 'priority']
};

suite('elicitation webview', () => {
  let panels: ElicitationPanels;
  const opened: string[] = [];
  let openResult = true;
  const rendered = new Set<string>();
  const ignored: string[] = [];

  suiteSetup(async () => {
    await api();
    panels = new ElicitationPanels({
      extensionUri: extension().extensionUri,
      logger,
      rateLimiter: new RateLimiter({ capacity: 1000 }),
      openExternal: async uri => {
        opened.push(uri.toString(true));
        return openResult;
      },
      testHooks: true
    });
    panels.onDidRender(id => rendered.add(id));
    panels.onDidIgnoreMessage(m => ignored.push(m.reason));
  });

  suiteTeardown(() => panels.dispose());

  setup(() => {
    opened.length = 0;
    ignored.length = 0;
    openResult = true;
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  const driver = (id: string) => testDriver(panels, id);

  async function start(params: unknown, serverUrl = SERVER): Promise<{ id: string; result: Promise<ElicitationResponse>; report: ProbeReport }> {
    const before = new Set(panels.pendingIds());
    const result = panels.elicit({ serverUrl, serverLabel: 'contoso', params });
    const id = await waitFor(() => panels.pendingIds().find(p => !before.has(p)), 'a new elicitation panel');
    panels.webviewFor(id)!.panel.reveal(undefined, false);
    await waitFor(() => rendered.has(id), 'the elicitation page to load', 15_000);
    const report = await driver(id).run({ op: 'probe' });
    return { id, result, report };
  }

  const fill = (id: string, name: string, value: string | boolean | string[]) => driver(id).run({ op: 'fill', name, value });
  const click = (id: string, target: string) => driver(id).send({ op: 'click', target });

  test('renders every field type with defaults and returns typed content', async () => {
    const { id, result, report } = await start({ mode: 'form', message: 'Please confirm: restart', requestedSchema: SCHEMA });
    for (const text of ['Please confirm: restart', 'Reason', 'Why this action is needed', 'Email', 'Quantity', 'Budget (EUR)', 'Notify the team', 'Low', 'High', 'Small', 'Medium', 'Tags']) {
      assert.ok(report.text.includes(text), `shows ${text}`);
    }
    assert.equal(report.activeElementId, 'field-reason', 'focus starts in the form');
    await fill(id, 'email', 'ada@contoso.example');
    await fill(id, 'when', '2026-03-01');
    await fill(id, 'size', 'm');
    await fill(id, 'tags', ['a', 'c']);
    await click(id, 'accept');
    assert.deepEqual(await withTimeout(result, 5000, 'result'), {
      action: 'accept',
      content: { reason: 'Routine maintenance', email: 'ada@contoso.example', when: '2026-03-01', quantity: 1, budget: 9.5, notify: true, priority: 'normal', size: 'm', tags: ['a', 'c'] }
    });
  });

  test('validates before sending: errors are shown and nothing is sent', async () => {
    const { id, result } = await start({ mode: 'form', message: 'm', requestedSchema: SCHEMA });
    await fill(id, 'reason', '');
    await fill(id, 'quantity', '11');
    await fill(id, 'email', 'nope');
    const report = await driver(id).run({ op: 'click', target: 'accept' });
    assert.ok(report.text.includes('Required.'));
    assert.ok(report.text.includes('at most 10'));
    assert.ok(report.text.includes('email address'));
    assert.equal(report.activeElementId, 'field-reason', 'focus moves to the first error');
    assert.deepEqual(panels.pendingIds().includes(id), true, 'still pending');
    // A page that skipped its own checks is still caught by the host.
    driver(id).inject({ type: 'submit', requestId: id, action: 'accept', values: { reason: '', priority: 'low' } });
    driver(id).inject({ type: 'submit', requestId: id, action: 'accept', values: { reason: 'x', priority: 'low', injected: 'x' } });
    assert.ok(panels.pendingIds().includes(id));
    await fill(id, 'reason', 'fixed');
    await fill(id, 'quantity', '2');
    await fill(id, 'email', '');
    await click(id, 'accept');
    const r = await withTimeout(result, 5000, 'result');
    assert.equal(r.action, 'accept');
    assert.equal(r.action === 'accept' ? r.content?.quantity : undefined, 2);
  });

  test('decline and cancel', async () => {
    const a = await start({ mode: 'form', message: 'm', requestedSchema: SCHEMA });
    await click(a.id, 'decline');
    assert.deepEqual(await withTimeout(a.result, 5000, 'decline'), { action: 'decline' });
    const b = await start({ mode: 'form', message: 'm', requestedSchema: SCHEMA });
    await click(b.id, 'cancel');
    assert.deepEqual(await withTimeout(b.result, 5000, 'cancel'), { action: 'cancel' });
  });

  test('closing the panel cancels', async () => {
    const a = await start({ mode: 'form', message: 'm', requestedSchema: SCHEMA });
    panels.webviewFor(a.id)!.panel.dispose();
    assert.deepEqual(await withTimeout(a.result, 5000, 'close'), { action: 'cancel' });
  });

  test('forged and replayed replies are ignored', async () => {
    const a = await start({ mode: 'form', message: 'm', requestedSchema: SCHEMA });
    driver(a.id).inject({ type: 'submit', requestId: 'elicit-forged', action: 'decline' });
    driver(a.id).inject({ type: 'submit', requestId: a.id, action: 'decline', values: {} });
    assert.ok(panels.pendingIds().includes(a.id));
    driver(a.id).inject({ type: 'submit', requestId: a.id, action: 'decline' });
    driver(a.id).inject({ type: 'submit', requestId: a.id, action: 'accept', values: { reason: 'x', priority: 'low' } });
    assert.deepEqual(await a.result, { action: 'decline' });
    assert.deepEqual(ignored, ['forged', 'malformed', 'replayed']);
  });

  test('URL mode shows the full URL with the domain highlighted and opens it only after consent', async () => {
    const url = 'https://login.contoso.com.evil.example/oauth?next=%2F';
    const a = await start({ mode: 'url', message: 'Sign in to continue', url, elicitationId: 'e1' });
    assert.ok(a.report.text.includes(url), 'the full URL');
    assert.match(a.report.html, /<mark[^>]*id="url-domain"[^>]*>evil\.example<\/mark>/, 'the domain is highlighted');
    assert.ok(a.report.text.includes('not on the MCP server\'s domain contoso.com'), 'mismatch warning');
    assert.equal(a.report.activeElementId, 'cancel');
    assert.deepEqual(opened, [], 'nothing opened before consent');
    await click(a.id, 'accept');
    assert.deepEqual(await withTimeout(a.result, 5000, 'accept'), { action: 'accept' });
    // vscode.Uri normalizes percent-encoding; what matters is that exactly this URL opened.
    assert.deepEqual(opened.map(decodeURIComponent), [decodeURIComponent(url)]);
  });

  test('URL mode: decline opens nothing; punycode warns; non-http schemes never show', async () => {
    const a = await start({ mode: 'url', message: 'm', url: 'https://xn--cntoso-2ua.com/', elicitationId: 'e2' });
    assert.ok(a.report.text.includes('punycode'));
    await click(a.id, 'decline');
    assert.deepEqual(await a.result, { action: 'decline' });
    assert.deepEqual(opened, []);
    for (const url of ['javascript:alert(1)', 'command:workbench.action.terminal.new', 'file:///etc/passwd']) {
      assert.deepEqual(await panels.elicit({ serverUrl: SERVER, serverLabel: 'contoso', params: { mode: 'url', message: 'm', url, elicitationId: 'e3' } }), { action: 'decline' });
    }
    assert.deepEqual(opened, []);
  });

  test('untrusted message, titles and options stay inert and visible', async () => {
    const schema = { type: 'object', properties: { f: { type: 'string', title: XSS, description: XSS, enum: ['v'], enumNames: [XSS] } } };
    const a = await start({ mode: 'form', message: XSS, requestedSchema: schema });
    await new Promise(r => setTimeout(r, 300));
    const r = await driver(a.id).run({ op: 'probe' });
    assert.equal(r.pwned, false);
    assert.deepEqual([r.counts.img, r.counts.script, r.counts.a, r.counts.inlineHandlers], [0, 0, 0, 0]);
    assert.ok(r.text.includes('<img src=x onerror='));
    assert.ok(r.text.includes('U+202E') && r.text.includes('U+200B'));
    await click(a.id, 'cancel');
    await a.result;
  });

  test('requests are rate-limited per server', async () => {
    const limited = new ElicitationPanels({ extensionUri: extension().extensionUri, logger, rateLimiter: new RateLimiter({ capacity: 1 }), testHooks: true });
    try {
      const first = limited.elicit({ serverUrl: 'https://a.example/mcp', serverLabel: 'a', params: { mode: 'form', message: 'm', requestedSchema: SCHEMA } });
      assert.deepEqual(await limited.elicit({ serverUrl: 'https://a.example/mcp', serverLabel: 'a', params: { mode: 'form', message: 'm', requestedSchema: SCHEMA } }), { action: 'decline' });
      limited.dispose();
      assert.deepEqual(await first, { action: 'cancel' });
    } finally {
      limited.dispose();
    }
  });

  test('an unusable schema is declined without a panel', async () => {
    assert.deepEqual(await panels.elicit({ serverUrl: SERVER, serverLabel: 'x', params: { mode: 'form', message: 'm', requestedSchema: { type: 'object', properties: { a: { type: 'object' } } } } }), { action: 'decline' });
  });
});
