import assert from 'node:assert/strict';
import { inlineCode, progressText, PROGRESS_TEXT_MAX, untrustedMarkdown } from '../../../../src/common/chat/markdown';

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
    const { escapeMarkdown } = await import('../../../../src/common/chat/markdown');
    const out = escapeMarkdown('Sign in [here](command:evil) ![x](https://t/x.png) <img src=x> **bold** `code` a_b');
    assert.doesNotMatch(out, /(?<!\\)\[|(?<!\\)\]\(|(?<!\\)<img|(?<!\\)\*\*|(?<!\\)`/);
    assert.match(out, /^Sign in /);
    assert.doesNotMatch(out, /&nbsp;/);
    assert.equal(out.replace(/\\(.)/g, '$1'), 'Sign in [here](command:evil) ![x](https://t/x.png) <img src=x> **bold** `code` a_b');
  });
});

describe('progressText (progress lines are Markdown too)', () => {
  /** What the reader sees once Markdown has removed the escapes. */
  const shown = (s: string) => s.replace(/\\(.)/g, '$1');
  /** Markdown-active characters left unescaped. */
  const active = /(?<!\\)[[\]()<>!`*_:&|#]/;

  it('keeps a command: link as inert text', () => {
    const out = progressText('[x](command:foo)');
    assert.doesNotMatch(out, active);
    assert.equal(shown(out), '[x](command:foo)');
  });

  it('never loads an image', () => {
    const out = progressText('![i](https://evil/x.png)');
    assert.doesNotMatch(out, active);
    assert.doesNotMatch(out, /https:\/\//, 'no autolink either');
    assert.equal(shown(out), '![i](https://evil/x.png)');
  });

  it('renders HTML as visible text, not elements', () => {
    const out = progressText('<img src=x onerror=alert(1)>');
    assert.doesNotMatch(out, active);
    assert.doesNotMatch(out, /(?<!\\)<img/);
    assert.equal(shown(out), '<img src=x onerror=alert(1)>');
    assert.equal(shown(progressText('&lt;b&gt; &#x202E;')), '&lt;b&gt; &#x202E;', 'entities stay text');
    assert.match(progressText('&#x202E;'), /^\\&/);
  });

  it('replaces bidi, zero-width and control characters with a visible mark', () => {
    const out = progressText('abc\u202Egpj.exe');
    assert.doesNotMatch(out, /\u202E/);
    assert.equal(shown(out), 'abc\uFFFDgpj.exe');
    const all = progressText('a\u200Bb\u2066c\u2069d\u200Fe\uFEFFf\u0000g\u001Bh\u0085i\u00ADj\uD800k');
    assert.doesNotMatch(all, /[\p{Cc}\u00ad\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u);
    assert.equal(shown(all), 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFDg\uFFFDh\uFFFDi\uFFFDj\uFFFDk');
  });

  it('is one line', () => {
    assert.equal(progressText('step 1\r\n\n# Heading\u2028- item\ttab'), 'step 1 \\# Heading \\- item tab');
  });

  it('caps a 10 KB message, counting characters before escaping and never splitting a surrogate pair', () => {
    const out = progressText('A'.repeat(10 * 1024));
    assert.equal([...out].length, PROGRESS_TEXT_MAX);
    assert.ok(out.endsWith('…'));
    const hostile = progressText('[x](command:foo)'.repeat(700));
    assert.ok([...shown(hostile)].length <= PROGRESS_TEXT_MAX);
    assert.doesNotMatch(hostile, active);
    const emoji = progressText('😀'.repeat(200), 10);
    assert.equal(emoji, `${'😀'.repeat(9)}…`);
    assert.doesNotMatch(emoji, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    assert.equal(progressText('x'.repeat(20), 20), 'x'.repeat(20), 'at the cap nothing is cut');
  });

  it('leaves ordinary progress text readable', () => {
    assert.equal(progressText('1/2 s'), '1/2 s');
    assert.equal(shown(progressText('slow_task')), 'slow_task');
    assert.equal(progressText('Zurich 21 °C'), 'Zurich 21 °C');
  });
});
