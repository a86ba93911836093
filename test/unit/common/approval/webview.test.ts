import assert from 'node:assert/strict';
import { contentSecurityPolicy, webviewPage } from '../../../../src/common/approval/html';
import { parseApprovalMessage } from '../../../../src/common/approval/messages';
import { hasInvisible, revealParts, revealString, truncate } from '../../../../src/common/approval/reveal';
import { parseElicitationMessage } from '../../../../src/common/elicitation/messages';
import { parseTestReport } from '../../../../src/common/testHooks';

const NONCE = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe('webview page and protocol', () => {
  it('has a strict CSP with the nonce and nothing remote', () => {
    const csp = contentSecurityPolicy('https://file+.vscode-resource.vscode-cdn.net', NONCE);
    assert.match(csp, /^default-src 'none'; /);
    assert.ok(csp.includes(`script-src 'nonce-${NONCE}'`));
    assert.ok(!/unsafe-(eval|inline)/.test(csp));
    assert.ok(!/https?:\/\/(?!file\+)/.test(csp));
  });

  it('renders no inline handlers, no inline script body and only nonce-bearing scripts', () => {
    const html = webviewPage({ nonce: NONCE, cspSource: 'vscode-resource:', scriptUri: 'vscode-resource:/a.js', styleUri: 'vscode-resource:/a.css', title: 'x' });
    assert.ok(!/\son[a-z]+=/i.test(html));
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.ok(scripts[0][1].includes(`nonce="${NONCE}"`));
    assert.equal(scripts[0][2].trim(), '');
  });

  it('refuses a weak nonce', () => {
    assert.throws(() => webviewPage({ nonce: '123', cspSource: 'x', scriptUri: 'x', styleUri: 'x', title: 'x' }));
  });

  it('escapes the title', () => {
    const html = webviewPage({ nonce: NONCE, cspSource: 'x', scriptUri: 'x', styleUri: 'x', title: '<img src=x onerror=alert(1)>' });
    assert.ok(!html.includes('<img'));
  });

  it('accepts exactly the decision shape', () => {
    assert.deepEqual(parseApprovalMessage({ type: 'decision', callId: 'c-1', choice: 'approve' }), { type: 'decision', callId: 'c-1', choice: 'approve' });
    for (const bad of [
      null, 'approve', [], { type: 'decision' },
      { type: 'decision', callId: 'c-1', choice: 'approveAll' },
      { type: 'decision', callId: 'c-1', choice: 'approve', extra: 1 },
      { type: 'decision', callId: 42, choice: 'approve' },
      { type: 'decision', callId: 'c 1<script>', choice: 'approve' },
      { type: 'ready', x: 1 },
      { type: 'testReport', report: {} },
      { type: 'command', command: 'workbench.action.terminal.new' }
    ]) {
      assert.equal(parseApprovalMessage(bad), undefined, JSON.stringify(bad));
    }
  });

  it('takes test reports only through the test hooks, never as a page message', () => {
    const report = { text: '', visibleText: '', html: '', activeElementId: '', pwned: false, counts: { img: 0, script: 0, iframe: 0, a: 0, inlineHandlers: 0 }, scrollWidth: 1, clientWidth: 1 };
    assert.equal(parseApprovalMessage({ type: 'testReport', report }), undefined);
    assert.equal(parseElicitationMessage({ type: 'testReport', report }), undefined);
    assert.deepEqual(parseTestReport({ type: 'testReport', report }), report);
    for (const bad of [{ type: 'testReport', report: {} }, { type: 'testReport', report, extra: 1 }, { type: 'decision', report }]) {
      assert.equal(parseTestReport(bad), undefined, JSON.stringify(bad));
    }
  });

  it('puts only escaped data-* attributes on the body', () => {
    const page = (bodyAttributes?: Record<string, string>) => webviewPage({ nonce: NONCE, cspSource: 'x', scriptUri: 'x', styleUri: 'x', title: 'x', bodyAttributes });
    assert.match(page(), /<body>/);
    assert.match(page({ 'data-test-hooks': 'true' }), /<body data-test-hooks="true">/);
    assert.match(page({ 'data-x': '"><script>' }), /<body data-x="&quot;&gt;&lt;script&gt;">/);
    for (const name of ['onload', 'style', 'data-x onload', 'data-X']) {
      assert.throws(() => page({ [name]: 'x' }), name);
    }
  });

  it('shows bidi and zero-width characters as code points', () => {
    const s = 'safe\u202Etxt.exe\u200B!';
    assert.deepEqual(revealParts(s), [{ text: 'safe' }, { codePoint: 'U+202E' }, { text: 'txt.exe' }, { codePoint: 'U+200B' }, { text: '!' }]);
    assert.equal(revealString(s), 'safe\u27e8U+202E\u27e9txt.exe\u27e8U+200B\u27e9!');
    assert.ok(hasInvisible(s));
    assert.ok(hasInvisible(s), 'no regex state leaks between calls');
    assert.ok(!hasInvisible('plain text, émojis 🙂 and 中文'));
  });

  it('truncates long titles with an ellipsis', () => {
    assert.equal(truncate('short', 5), 'short');
    assert.equal(truncate('longer', 5), 'long…');
  });
});
