import assert from 'node:assert/strict';
import { restingState, summarizeServers, type ConnectionState } from '../../../src/common/connectionState';
import { PolicyBlockedError } from '../../../src/common/errors';
import { fixOf, forServer } from '../../../src/common/fixes';
import { plainL10n } from '../../../src/common/l10n';
import { connectionProblems, serverOf, serverView } from '../../../src/common/servers';
import { defaultServerName, OWN_OAUTH_PROVIDER_ID, readSettings, SERVER_SCOPE_PREFIX, sessionScopes, type SettingReader } from '../../../src/common/settings';

/** A reader over `secureMcp.*` values given by their dotted keys. */
const from = (values: Record<string, unknown>): SettingReader => key => values[key];

const A = 'https://a.contoso.example/mcp';
const B = 'https://b.fabrikam.example/mcp';

describe('several servers (secureMcp.servers)', () => {
  describe('reading them', () => {
    it('the single-server settings are the first server, named after the host, with their sign-in: nothing to migrate by hand', () => {
      const { settings, problems } = readSettings(from({ serverUrl: 'http://127.0.0.1:3000/mcp', 'auth.scopes': ['api://x/mcp:tools'], 'auth.tenant': 'contoso.example', 'protocol.version': '2026-07-28' }));
      assert.deepEqual(problems, []);
      assert.equal(settings.servers.length, 1);
      assert.deepEqual(settings.servers[0], {
        name: '127_0_0_1', url: 'http://127.0.0.1:3000/mcp', source: 'secureMcp', protocol: '2026-07-28',
        auth: { ...settings.auth, scopes: ['api://x/mcp:tools'], tenant: 'contoso.example' }
      });
    });

    it('entries follow the single-server one, each with its own sign-in and protocol, inheriting nothing from secureMcp.auth.*', () => {
      const { settings, problems } = readSettings(from({
        serverUrl: A, 'auth.scopes': ['api://a/mcp:tools'],
        servers: [{ name: 'fabrikam', url: B, auth: { providerId: OWN_OAUTH_PROVIDER_ID }, protocol: '2025-11-25' }]
      }));
      assert.deepEqual(problems, []);
      assert.deepEqual(settings.servers.map(s => [s.name, s.url, s.source, s.protocol]), [['a_contoso_example', A, 'secureMcp', 'auto'], ['fabrikam', B, 'secureMcp.servers[0]', '2025-11-25']]);
      assert.deepEqual(settings.servers[1]!.auth.scopes, [], 'the API scope of server a is not inherited by fabrikam (A3)');
      assert.equal(settings.servers[1]!.auth.providerId, OWN_OAUTH_PROVIDER_ID);
    });

    it('an entry with the single-server URL replaces it (a migration half done is one server, not two)', () => {
      const { settings, problems } = readSettings(from({ serverUrl: A, servers: [{ name: 'contoso', url: `${A}/` }, { name: 'fabrikam', url: B }] }));
      assert.deepEqual(problems, []);
      assert.deepEqual(settings.servers.map(s => s.name), ['contoso', 'fabrikam']);
    });

    it('refuses an entry without a usable name or URL, or with another\'s name or URL, and keeps the rest', () => {
      const { settings, problems } = readSettings(from({
        servers: [
          { name: 'ok', url: A },
          { name: 'OK', url: B },
          { name: 'other', url: A },
          { name: 'bad name/x', url: 'https://c.example/mcp' },
          { name: 'plain', url: 'http://evil.example/mcp' },
          { url: B },
          'https://d.example/mcp'
        ]
      }));
      assert.deepEqual(settings.servers.map(s => s.name), ['ok', 'b_fabrikam_example']);
      assert.deepEqual(problems.map(p => p.key), ['secureMcp.servers[1]', 'secureMcp.servers[2]', 'secureMcp.servers[3].name', 'secureMcp.servers[4].url', 'secureMcp.servers[6]']);
      assert.match(problems[0]!.message, /name "OK".*own name/);
      assert.match(problems[3]!.message, /https/);
    });

    it('a wrong value inside an entry is that server\'s problem only', () => {
      const r = readSettings(from({ serverUrl: A, 'auth.scopes': ['api://a/mcp:tools'], servers: [{ name: 'fabrikam', url: B, auth: { scopes: ['mcp:tools'], tenant: 'not a tenant' } }] }));
      assert.deepEqual(r.problems.map(p => [p.key, p.server]), [['secureMcp.servers[0].auth.tenant', 'fabrikam'], ['secureMcp.servers[0].auth.scopes', 'fabrikam']]);
      assert.deepEqual(connectionProblems(r, serverOf(r.settings, '')), [], 'server a still connects');
      assert.equal(connectionProblems(r, serverOf(r.settings, 'fabrikam')).length, 2);
    });

    it('the single-server settings\' problems stop that server, not the entries; shared settings stop all; the model\'s settings none', () => {
      const r = readSettings(from({ serverUrl: A, 'auth.tenant': '!', 'timeouts.connectSeconds': 0, 'llm.provider': 'nope', servers: [{ name: 'fabrikam', url: B, auth: { scopes: ['api://b/mcp:tools'] } }] }));
      assert.deepEqual(connectionProblems(r, serverOf(r.settings, '')).map(p => p.key), ['secureMcp.auth.tenant', 'secureMcp.timeouts.connectSeconds']);
      assert.deepEqual(connectionProblems(r, serverOf(r.settings, 'fabrikam')).map(p => p.key), ['secureMcp.timeouts.connectSeconds']);
    });

    it('A3: two servers asking one provider for the same scopes would share a token, so the second is refused', () => {
      const r = readSettings(from({
        servers: [
          { name: 'one', url: A, auth: { scopes: ['api://same/mcp:tools'] } },
          { name: 'two', url: B, auth: { scopes: ['api://same/mcp:tools'] } },
          { name: 'three', url: 'https://c.example/mcp', auth: { scopes: ['api://same/mcp:tools'], tenant: 'other.example' } }
        ]
      }));
      assert.deepEqual(r.problems.map(p => [p.key, p.server]), [['secureMcp.servers[1].auth.scopes', 'two']]);
      assert.match(r.problems[0]!.message, /same scopes as server "one".*never cross servers/);
      assert.deepEqual(connectionProblems(r, serverOf(r.settings, 'one')), []);
    });

    it('A3: Secure MCP\'s own provider keys its sessions by server, so the same scopes are fine there, and each asks for its own server', () => {
      const r = readSettings(from({
        servers: [
          { name: 'one', url: A, auth: { providerId: OWN_OAUTH_PROVIDER_ID, scopes: ['mcp:tools'] } },
          { name: 'two', url: B, auth: { providerId: OWN_OAUTH_PROVIDER_ID, scopes: ['mcp:tools'] } }
        ]
      }));
      assert.deepEqual(r.problems, []);
      const [one, two] = r.settings.servers.map(s => sessionScopes(serverView(r.settings, s)));
      assert.deepEqual(one, ['mcp:tools', `${SERVER_SCOPE_PREFIX}${A}`]);
      assert.deepEqual(two, ['mcp:tools', `${SERVER_SCOPE_PREFIX}${B}`]);
    });

    it('a server\'s view of the settings has its URL, sign-in and protocol, and the shared rest', () => {
      const r = readSettings(from({ serverUrl: A, 'timeouts.connectSeconds': 7, servers: [{ name: 'fabrikam', url: B, auth: { tenant: 'fabrikam.example', scopes: ['api://b/mcp:tools'] }, protocol: '2026-07-28' }] }));
      const view = serverView(r.settings, serverOf(r.settings, 'fabrikam')!);
      assert.equal(view.serverUrl, B);
      assert.equal(view.auth.tenant, 'fabrikam.example');
      assert.equal(view.protocol.version, '2026-07-28');
      assert.equal(view.timeouts.connectSeconds, 7);
    });

    it('names servers after their host when they have no name', () => {
      assert.equal(defaultServerName('http://127.0.0.1:3000/mcp'), '127_0_0_1');
      assert.equal(defaultServerName('https://mcp.contoso.example/'), 'mcp_contoso_example');
      assert.equal(defaultServerName('not a url'), 'mcp');
    });
  });

  it('secureMcp.audit.folder takes an absolute folder only (an administrator may lock it to a collected share)', () => {
    for (const folder of ['/var/log/secure-mcp', 'C:\\Audit', 'D:/audit', '\\\\server\\share\\audit']) {
      const r = readSettings(from({ 'audit.folder': folder }));
      assert.equal(r.settings.audit.folder, folder);
      assert.deepEqual(r.problems, []);
    }
    for (const folder of ['audit', './audit', '~/audit', 3]) {
      const r = readSettings(from({ 'audit.folder': folder }));
      assert.equal(r.settings.audit.folder, '', String(folder));
      assert.equal(r.problems[0]?.key, 'secureMcp.audit.folder');
    }
  });

  describe('one status for all of them', () => {
    const connected = (tools: number): ConnectionState => ({ kind: 'connected', server: A, tools });

    it('with one server the status is exactly that server\'s, its fix aimed at it', () => {
      const s = summarizeServers([{ name: 'a', label: 'a', state: { kind: 'signedOut', server: A } }], plainL10n);
      assert.equal(s.view.text, 'MCP: signed out');
      assert.deepEqual(s.view.fix.args, ['a']);
    });

    it('with several: connected count, total tools, the most serious tone, and a click lists them', () => {
      const s = summarizeServers([
        { name: 'a', label: 'a (a.example)', state: connected(8) },
        { name: 'b', label: 'b (b.example)', state: { kind: 'unreachable', server: B, message: 'Cannot reach it.' } },
        { name: 'c', label: 'c', state: connected(3) }
      ], plainL10n);
      assert.equal(s.view.text, 'MCP: 2/3 servers · 11 tools');
      assert.equal(s.view.tone, 'error');
      assert.equal(s.view.fix.command, 'secureMcp.showServers');
      assert.match(s.view.tooltip, /b: Cannot reach it\./);
      assert.deepEqual(s.servers.map(x => x.view.fix.args), [['a'], ['b'], ['c']]);
    });

    it('all connected reads as normal', () => {
      const s = summarizeServers([{ name: 'a', label: 'a', state: connected(1) }, { name: 'b', label: 'b', state: connected(2) }], plainL10n);
      assert.equal(s.view.tone, 'normal');
      assert.equal(s.view.needsAction, false);
    });

    it('a server at rest: settings problems first, then no URL, the policy, a session in hand, else signed out', () => {
      const blocked = new PolicyBlockedError('Denied.', A, 'chat.mcp.deniedServers', true);
      assert.deepEqual(restingState({ problems: 2, serverUrl: '', blocked }), { kind: 'settingsProblem', count: 2 });
      assert.deepEqual(restingState({ problems: 0, serverUrl: '' }), { kind: 'notConfigured' });
      assert.equal(restingState({ problems: 0, serverUrl: A, blocked, signedIn: { account: 'x' } }).kind, 'blockedByPolicy');
      assert.deepEqual(restingState({ problems: 0, serverUrl: A, signedIn: { account: 'alice' } }), { kind: 'notConnected', server: A, account: 'alice' });
      assert.deepEqual(restingState({ problems: 0, serverUrl: A, signedIn: {} }), { kind: 'notConnected', server: A });
      assert.deepEqual(restingState({ problems: 0, serverUrl: A }), { kind: 'signedOut', server: A });
    });

    it('fixes about one server carry its name; the others do not', () => {
      assert.deepEqual(forServer(fixOf('signIn', plainL10n), 'b').args, ['b']);
      assert.deepEqual(forServer(fixOf('reconnect', plainL10n), 'b').args, ['b']);
      assert.equal(forServer(fixOf('setApiKey', plainL10n), 'b').args, undefined);
      assert.deepEqual(forServer(fixOf('openSettings', plainL10n, 'x'), 'b').args, ['x']);
      assert.equal(forServer(fixOf('signIn', plainL10n), '').args, undefined);
    });
  });
});
