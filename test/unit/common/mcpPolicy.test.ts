import assert from 'node:assert/strict';
import { checkMcpPolicy, matchesServerUrl, policyReason, type McpPolicyInput } from '../../../src/common/mcpPolicy';
import { plainL10n } from '../../../src/common/l10n';

const SERVER = 'https://good.example/mcp';
const check = (input: McpPolicyInput, url = SERVER) => checkMcpPolicy(input, url);
const set = (value: unknown) => ({ value });
const managed = (value: unknown) => ({ value, policyValue: value });

describe('MCP policy: VS Code\'s chat.mcp.* settings decide whether the server may be contacted (docs/security.md E10)', () => {
  describe('chat.mcp.access', () => {
    it('"none" denies, and says so by that setting', () => {
      assert.deepEqual(check({ access: set('none') }), { allowed: false, rule: 'accessNone', setting: 'chat.mcp.access', managed: false });
    });

    it('"none" from an administrator\'s policy is reported as managed', () => {
      assert.deepEqual(check({ access: managed('none') }), { allowed: false, rule: 'accessNone', setting: 'chat.mcp.access', managed: true });
    });

    it('"registry" denies: a server configured by URL is not installed from VS Code\'s MCP registry', () => {
      assert.deepEqual(check({ access: managed('registry') }), { allowed: false, rule: 'accessRegistry', setting: 'chat.mcp.access', managed: true });
    });

    it('the older boolean form: false denies, true allows', () => {
      assert.equal(check({ access: set(false) }).allowed, false);
      assert.equal(check({ access: set(true) }).allowed, true);
    });

    it('"all", absent or an unknown value allows (VS Code\'s default is "all")', () => {
      assert.deepEqual(check({ access: set('all') }), { allowed: true });
      assert.deepEqual(check({}), { allowed: true });
      assert.deepEqual(check({ access: set(undefined) }), { allowed: true });
      assert.deepEqual(check({ access: set('sometimes') }), { allowed: true });
    });

    it('access "none" wins over an allow list that names the server', () => {
      assert.equal(check({ access: set('none'), allowed: set([{ serverUrl: SERVER }]) }).allowed, false);
    });
  });

  describe('chat.mcp.deniedServers and chat.mcp.allowedServers', () => {
    it('a deny entry that matches denies, even when the allow list names the server too', () => {
      const d = check({ allowed: managed([{ serverUrl: SERVER }]), denied: managed([{ serverUrl: 'https://good.example/*' }]) });
      assert.deepEqual(d, { allowed: false, rule: 'denied', setting: 'chat.mcp.deniedServers', managed: true, entry: 'https://good.example/*' });
    });

    it('an allow list that is set and does not match denies', () => {
      const d = check({ allowed: managed([{ serverUrl: 'https://other.example/mcp' }]) });
      assert.deepEqual(d, { allowed: false, rule: 'notAllowed', setting: 'chat.mcp.allowedServers', managed: true });
    });

    it('an empty allow list is set: it allows nothing', () => {
      assert.equal(check({ allowed: set([]) }).allowed, false);
    });

    it('an allow list that matches allows; a deny list that does not match leaves it allowed', () => {
      assert.deepEqual(check({ allowed: set([{ serverUrl: SERVER }]), denied: set([{ serverUrl: 'https://evil.test/*' }]) }), { allowed: true });
    });

    it('absent lists (unset, or null as VS Code registers them) allow', () => {
      assert.deepEqual(check({ allowed: set(null), denied: set(null) }), { allowed: true });
      assert.deepEqual(check({ allowed: set(undefined), denied: set(undefined) }), { allowed: true });
    });

    it('serverName and serverCommand entries never match this server: it has no VS Code server name and no command', () => {
      assert.equal(check({ denied: set([{ serverName: 'good.example' }, { serverCommand: ['node', 'x.js'] }]) }).allowed, true);
      assert.equal(check({ allowed: set([{ serverName: 'good.example' }]) }).allowed, false);
    });

    it('malformed entries are dropped: they neither match nor throw', () => {
      const junk = ['https://good.example/mcp', 42, null, { serverUrl: '' }, { serverUrl: SERVER, serverName: 'both' }, { serverUrl: 7 }];
      assert.equal(check({ denied: set(junk) }).allowed, true);
      assert.equal(check({ allowed: set(junk) }).allowed, false);
    });

    it('a list that is not an array counts as unset', () => {
      assert.equal(check({ allowed: set('https://good.example/mcp'), denied: set({ serverUrl: SERVER }) }).allowed, true);
    });

    it('chat.mcp.allowManagedServersOnly: only the administrator\'s allow list counts', () => {
      // The user's own allow list does not let the server in...
      assert.deepEqual(check({ managedOnly: set(true), allowed: { value: [{ serverUrl: SERVER }] } }), { allowed: false, rule: 'notAllowed', setting: 'chat.mcp.allowedServers', managed: false });
      // ...the administrator's does.
      assert.deepEqual(check({ managedOnly: managed(true), allowed: managed([{ serverUrl: SERVER }]) }), { allowed: true });
    });

    it('chat.mcp.allowManagedServersOnly: a deny entry at any level counts', () => {
      const d = check({ managedOnly: managed(true), allowed: managed([{ serverUrl: SERVER }]), denied: { value: [], everyLevel: [[{ serverUrl: SERVER }]] } });
      assert.equal(d.allowed, false);
      assert.equal(!d.allowed && d.rule, 'denied');
    });
  });

  describe('URL entries: VS Code\'s rules (origin + path + query, `*` wildcards), without prefix tricks', () => {
    const yes: [string, string][] = [
      ['https://good.example/mcp', 'https://good.example/mcp'],
      ['https://good.example/*', 'https://good.example/mcp'],
      ['https://*.example/*', 'https://api.good.example/mcp'],
      ['https://GOOD.Example/mcp', 'https://good.example/mcp'],
      ['https://good.example/mcp', 'https://GOOD.EXAMPLE/mcp'],
      ['https://good.example:443/mcp', 'https://good.example/mcp'],
      ['https://good.example/mcp', 'https://good.example:443/mcp'],
      ['https://good.example/mcp/', 'https://good.example/mcp'],
      ['https://good.example/mcp', 'https://good.example/mcp/'],
      ['https://good.example/a/../mcp', 'https://good.example/mcp'],
      ['https://good.example/mcp', 'https://user@good.example/mcp#frag'],
      ['http://127.0.0.1:*/*', 'http://127.0.0.1:4100/mcp']
    ];
    for (const [pattern, url] of yes) {
      it(`${pattern} matches ${url}`, () => assert.equal(matchesServerUrl(pattern, url), true));
    }

    const no: [string, string][] = [
      ['https://good.example/*', 'https://good.example.evil.test/mcp'],
      ['https://good.example', 'https://good.example.evil.test/'],
      ['https://good.example/mcp', 'https://good.example/mcp2'],
      ['https://good.example/mcp', 'https://good.example/mcp/extra'],
      ['https://good.example/*', 'https://good.example@evil.test/mcp'],
      ['https://good.example/*', 'http://good.example/mcp'],
      ['https://good.example/*', 'https://good.example:8443/mcp'],
      ['https://*.example/*', 'https://evil.test/?.example/'],
      ['https://*good.example/*', 'https://evil.test#good.example/'],
      ['https://good.example', 'https://good.example/mcp'],
      ['https://good.example/mcp', 'not a url']
    ];
    for (const [pattern, url] of no) {
      it(`${pattern} does not match ${url}`, () => assert.equal(matchesServerUrl(pattern, url), false));
    }

    it('a pattern with regular-expression characters is taken literally', () => {
      assert.equal(matchesServerUrl('https://good.example/m.p', 'https://good.example/mcp'), false);
      assert.equal(matchesServerUrl('https://good.example/(mcp)+', 'https://good.example/mcpmcp'), false);
    });
  });

  describe('the reason in words', () => {
    it('names the setting, the value or entry, and who set it', () => {
      assert.equal(policyReason({ allowed: false, rule: 'accessNone', setting: 'chat.mcp.access', managed: true }, SERVER, plainL10n),
        'Your organization\'s policy turns MCP servers off (chat.mcp.access is "none").');
      assert.equal(policyReason({ allowed: false, rule: 'accessNone', setting: 'chat.mcp.access', managed: false }, SERVER, plainL10n),
        'VS Code\'s settings turn MCP servers off (chat.mcp.access is "none").');
      assert.equal(policyReason({ allowed: false, rule: 'accessRegistry', setting: 'chat.mcp.access', managed: true }, SERVER, plainL10n),
        'Your organization\'s policy allows only MCP servers from VS Code\'s MCP registry (chat.mcp.access is "registry"), and https://good.example/mcp is configured by URL.');
      assert.equal(policyReason({ allowed: false, rule: 'denied', setting: 'chat.mcp.deniedServers', managed: true, entry: 'https://good.example/*' }, SERVER, plainL10n),
        'Your organization\'s policy denies https://good.example/mcp (it matches "https://good.example/*" in chat.mcp.deniedServers).');
      assert.equal(policyReason({ allowed: false, rule: 'notAllowed', setting: 'chat.mcp.allowedServers', managed: false }, SERVER, plainL10n),
        'VS Code\'s settings do not allow https://good.example/mcp (it matches no entry in chat.mcp.allowedServers).');
    });
  });
});
