import assert from 'node:assert/strict';
import { analyzeElicitationUrl, registrableDomain } from '../../../../src/common/elicitation/url';
import { RateLimiter } from '../../../../src/common/elicitation/rateLimit';

const SERVER = 'https://mcp.contoso.com/mcp';

describe('URL-mode elicitation analysis', () => {
  it('keeps the full URL and highlights the registrable domain in place', () => {
    const a = analyzeElicitationUrl('https://login.contoso.com/authorize?x=1#frag', SERVER);
    assert.ok(a.ok);
    assert.equal(a.href, 'https://login.contoso.com/authorize?x=1#frag');
    assert.equal(a.domain, 'contoso.com');
    assert.deepEqual(a.parts, { before: 'https://login.', domain: 'contoso.com', after: '/authorize?x=1#frag' });
    assert.deepEqual(a.warnings, []);
  });

  it('warns when the domain differs from the server', () => {
    const a = analyzeElicitationUrl('https://contoso.com.evil.example/login', SERVER);
    assert.ok(a.ok);
    assert.equal(a.domain, 'evil.example');
    assert.deepEqual(a.warnings.map(w => w.code), ['domain-mismatch']);
  });

  it('warns on punycode, including a Unicode look-alike the URL parser converts', () => {
    for (const u of ['https://xn--cntoso-2ua.com/', 'https://cοntoso.com/']) {
      const a = analyzeElicitationUrl(u, SERVER);
      assert.ok(a.ok);
      assert.ok(a.warnings.some(w => w.code === 'punycode'), u);
      assert.ok(a.href.includes('xn--'), 'shown as punycode');
    }
  });

  it('allows only http and https, and warns on http', () => {
    for (const u of ['javascript:alert(1)', 'file:///etc/passwd', 'command:workbench.action.terminal.new', 'data:text/html,<script>', 'vscode://x', 'not a url', '', 42]) {
      assert.equal(analyzeElicitationUrl(u, SERVER).ok, false, String(u));
    }
    const a = analyzeElicitationUrl('http://contoso.com/', SERVER);
    assert.ok(a.ok && a.warnings.some(w => w.code === 'insecure'));
  });

  it('refuses user info that disguises the host', () => {
    assert.equal(analyzeElicitationUrl('https://contoso.com@evil.example/', SERVER).ok, false);
  });

  it('finds registrable domains under two-level suffixes', () => {
    assert.equal(registrableDomain('a.b.example.co.uk'), 'example.co.uk');
    assert.equal(registrableDomain('a.b.example.com'), 'example.com');
    assert.equal(registrableDomain('localhost'), 'localhost');
    assert.equal(registrableDomain('127.0.0.1'), '127.0.0.1');
  });
});

describe('elicitation rate limit', () => {
  it('allows a burst, then declines with a reason, then refills', () => {
    let t = 0;
    const rl = new RateLimiter({ capacity: 3, perMs: 60_000, now: () => t });
    assert.ok(rl.take('s').ok && rl.take('s').ok && rl.take('s').ok);
    const no = rl.take('s');
    assert.ok(!no.ok);
    assert.match(no.reason, /more than 3 times/);
    assert.ok(no.retryAfterMs > 0 && no.retryAfterMs <= 20_000);
    assert.ok(rl.take('other').ok, 'per server');
    t += 20_000;
    assert.ok(rl.take('s').ok);
    assert.equal(rl.take('s').ok, false);
  });
});
