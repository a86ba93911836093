import assert from 'node:assert/strict';
import { inlineCode, untrustedMarkdown } from '../../../src/common/chat/markdown';

describe('untrusted markdown (D7)', () => {
  it('never loads images, inline or by reference', () => {
    const out = untrustedMarkdown('Look: ![pixel](https://evil.example/track.png?u=1) and ![ref][x]');
    assert.doesNotMatch(out, /!\[/);
    assert.doesNotMatch(out, /evil\.example/);
    assert.match(out, /image not loaded: pixel/);
  });

  it('strips command:, vscode:, file:, javascript: and data: link targets but keeps the text', () => {
    for (const target of ['command:workbench.action.reloadWindow', 'vscode:extension/evil', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,x', 'COMMAND:x']) {
      const out = untrustedMarkdown(`[click here](${target}) now`);
      assert.equal(out, 'click here now', target);
    }
    assert.equal(untrustedMarkdown('[docs](https://learn.microsoft.com/x)'), '[docs](https://learn.microsoft.com/x)');
    assert.equal(untrustedMarkdown('[x]: command:evil'), '');
    assert.doesNotMatch(untrustedMarkdown('<command:evil>'), /<command:/);
  });

  it('renders HTML inert', () => {
    const out = untrustedMarkdown('<img src=x onerror=alert(1)><script>x</script>');
    assert.doesNotMatch(out, /<img|<script/);
    assert.match(out, /&lt;img/);
  });

  it('keeps ordinary Markdown', () => {
    assert.equal(untrustedMarkdown('**Zurich**: 21 °C, _sunny_.\n\n- a\n- b'), '**Zurich**: 21 °C, _sunny_.\n\n- a\n- b');
  });

  it('quotes text in inline code that backticks cannot escape', () => {
    assert.equal(inlineCode('get_weather'), '` get_weather `');
    assert.equal(inlineCode('a`b'), '`` a`b ``');
    assert.equal(inlineCode('x\ny'), '` x y `');
  });
});

describe('escapeMarkdown', () => {
  it('leaves no Markdown or HTML active and keeps spaces as spaces', async () => {
    const { escapeMarkdown } = await import('../../../src/common/chat/markdown');
    const out = escapeMarkdown('Sign in [here](command:evil) ![x](https://t/x.png) <img src=x> **bold** `code` a_b');
    assert.doesNotMatch(out, /(?<!\\)\[|(?<!\\)\]\(|(?<!\\)<img|(?<!\\)\*\*|(?<!\\)`/);
    assert.match(out, /^Sign in /);
    assert.doesNotMatch(out, /&nbsp;/);
    assert.equal(out.replace(/\\(.)/g, '$1'), 'Sign in [here](command:evil) ![x](https://t/x.png) <img src=x> **bold** `code` a_b');
  });
});
