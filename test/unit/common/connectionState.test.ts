import assert from 'node:assert/strict';
import { describeState, stateAfterFailure, type ConnectionState } from '../../../src/common/connectionState';
import {
  AuthRequiredError, CancelledError, DeclinedByUserError, IdentityProviderError, InsufficientScopeError, NotMcpEndpointError,
  PolicyBlockedError, ProtocolError, ServerUnreachableError
} from '../../../src/common/errors';
import { fixesFor } from '../../../src/common/fixes';
import { plainL10n } from '../../../src/common/l10n';
import { LlmCancelledError } from '../../../src/common/llm/errors';
import { OAuthRefusedError } from '../../../src/common/oauth/errors';

const SERVER = 'http://127.0.0.1:9/mcp';
const view = (s: ConnectionState) => describeState(s, plainL10n);
const UNREACHABLE = `Cannot reach the MCP server at ${SERVER} (ECONNREFUSED). Check that it is running and the URL is right, then reconnect.`;

describe('connection state: one model for the status bar, chat, /status, commands and Diagnose', () => {
  describe('what each state says, and the action a click runs', () => {
    const cases: [string, ConnectionState, { text: string; tooltip: string; detail: string; fix: string | undefined; tone: string }][] = [
      ['not configured', { kind: 'notConfigured' }, {
        text: 'MCP: not configured',
        detail: 'No MCP server is configured.',
        tooltip: 'Secure MCP: No MCP server is configured. Click to set the server URL.',
        fix: 'secureMcp.configureServer', tone: 'normal'
      }],
      ['settings that need attention', { kind: 'settingsProblem', count: 2 }, {
        text: 'MCP: check settings',
        detail: '2 setting(s) need attention.',
        tooltip: 'Secure MCP: 2 setting(s) need attention. Click to open the settings.',
        fix: 'workbench.action.openSettings', tone: 'warning'
      }],
      ['unreachable', { kind: 'unreachable', server: SERVER, message: UNREACHABLE }, {
        text: 'MCP: unreachable',
        detail: UNREACHABLE,
        tooltip: `Secure MCP: ${UNREACHABLE} Click to diagnose.`,
        fix: 'secureMcp.diagnose', tone: 'error'
      }],
      ['not an MCP endpoint', { kind: 'notMcp', server: SERVER, message: `${SERVER} answered an MCP request with HTTP 404: it is not an MCP endpoint` }, {
        text: 'MCP: not an MCP endpoint',
        detail: `${SERVER} answered an MCP request with HTTP 404: it is not an MCP endpoint.`,
        tooltip: `Secure MCP: ${SERVER} answered an MCP request with HTTP 404: it is not an MCP endpoint. Click to change the server URL.`,
        fix: 'secureMcp.configureServer', tone: 'error'
      }],
      ['blocked by policy', { kind: 'blockedByPolicy', server: SERVER, reason: `Your organization's policy denies ${SERVER} (it matches "http://127.0.0.1:*/*" in chat.mcp.deniedServers).`, setting: 'chat.mcp.deniedServers', managed: true }, {
        text: 'MCP: blocked by policy',
        detail: `Your organization's policy denies ${SERVER} (it matches "http://127.0.0.1:*/*" in chat.mcp.deniedServers). Secure MCP does not contact ${SERVER}.`,
        tooltip: `Secure MCP: Your organization's policy denies ${SERVER} (it matches "http://127.0.0.1:*/*" in chat.mcp.deniedServers). Secure MCP does not contact ${SERVER}. Click to see chat.mcp.deniedServers.`,
        fix: 'workbench.action.openSettings', tone: 'warning'
      }],
      ['signed out', { kind: 'signedOut', server: SERVER }, {
        text: 'MCP: signed out',
        detail: `Not signed in to ${SERVER}.`,
        tooltip: `Secure MCP: Not signed in to ${SERVER}. Click to sign in.`,
        fix: 'secureMcp.signIn', tone: 'normal'
      }],
      ['signed out, with the reason', { kind: 'signedOut', server: SERVER, reason: 'The server no longer accepts your sign-in.' }, {
        text: 'MCP: signed out',
        detail: `Signed out of ${SERVER}: The server no longer accepts your sign-in.`,
        tooltip: `Secure MCP: Signed out of ${SERVER}: The server no longer accepts your sign-in. Click to sign in.`,
        fix: 'secureMcp.signIn', tone: 'normal'
      }],
      ['signing in', { kind: 'signingIn', server: SERVER }, {
        text: 'MCP: signing in…',
        detail: `Signing in to ${SERVER}…`,
        tooltip: `Secure MCP: Signing in to ${SERVER}… Click to open the log.`,
        fix: 'secureMcp.showLog', tone: 'busy'
      }],
      ['signed in, not connected yet', { kind: 'notConnected', server: SERVER, account: 'alice' }, {
        text: 'MCP: not connected',
        detail: `Signed in as alice; not connected to ${SERVER} yet (it connects with the first request).`,
        tooltip: `Secure MCP: Signed in as alice; not connected to ${SERVER} yet (it connects with the first request). Click to connect.`,
        fix: 'secureMcp.reconnect', tone: 'normal'
      }],
      ['connecting', { kind: 'connecting', server: SERVER }, {
        text: 'MCP: connecting',
        detail: `Connecting to ${SERVER}…`,
        tooltip: `Secure MCP: Connecting to ${SERVER}… Click to open the log.`,
        fix: 'secureMcp.showLog', tone: 'busy'
      }],
      ['connected', { kind: 'connected', server: SERVER, tools: 6, account: 'alice', protocol: '2025-11-25', transport: 'streamable-http' }, {
        text: 'MCP: 6 tools',
        detail: `Connected to ${SERVER} as alice: 6 tools, MCP 2025-11-25 over streamable-http.`,
        tooltip: `Secure MCP: Connected to ${SERVER} as alice: 6 tools, MCP 2025-11-25 over streamable-http. Click to show the tools.`,
        fix: 'secureMcp.showTools', tone: 'normal'
      }],
      ['connected, one tool, nothing else known', { kind: 'connected', server: SERVER, tools: 1 }, {
        text: 'MCP: 1 tool',
        detail: `Connected to ${SERVER}: 1 tool.`,
        tooltip: `Secure MCP: Connected to ${SERVER}: 1 tool. Click to show the tools.`,
        fix: 'secureMcp.showTools', tone: 'normal'
      }],
      ['an error, with its cause', { kind: 'error', server: SERVER, message: 'The MCP server answered with JSON-RPC error -32603: boom', cause: 'ProtocolError', fix: 'diagnose' }, {
        text: 'MCP: error',
        detail: 'The MCP server answered with JSON-RPC error -32603: boom.',
        tooltip: 'Secure MCP: The MCP server answered with JSON-RPC error -32603: boom. Click to diagnose.',
        fix: 'secureMcp.diagnose', tone: 'error'
      }]
    ];
    for (const [name, state, expected] of cases) {
      it(name, () => {
        const v = view(state);
        assert.deepEqual({ text: v.text, tooltip: v.tooltip, detail: v.detail, fix: v.fix?.command, tone: v.tone }, expected);
      });
    }

    it('every status bar text starts with "MCP:" and has an icon', () => {
      for (const [, state] of cases) {
        assert.match(view(state).text, /^MCP: /);
        assert.match(view(state).icon, /^\$\([a-z~-]+\)$/);
      }
    });

    it('asks for an action only where something stands between the user and the tools', () => {
      const needing = cases.filter(([, state]) => view(state).needsAction).map(([name]) => name);
      assert.deepEqual(needing, ['not configured', 'settings that need attention', 'unreachable', 'not an MCP endpoint', 'blocked by policy', 'signed out', 'signed out, with the reason', 'an error, with its cause']);
    });

    it('never shows an internal kind name', () => {
      for (const [, state] of cases) {
        const v = view(state);
        assert.doesNotMatch(`${v.text} ${v.tooltip}`, /signedOut|notConfigured|settingsProblem|notMcp|notConnected|signingIn|blockedByPolicy/);
      }
    });
  });

  describe('after a failure', () => {
    const connected: ConnectionState = { kind: 'connected', server: SERVER, tools: 3 };
    const signedOut: ConnectionState = { kind: 'signedOut', server: SERVER };

    it('cancelled by the user: the state before the attempt, never a server fault', () => {
      for (const e of [new CancelledError('The call to slow_task was cancelled by you.'), new LlmCancelledError('x'), new DeclinedByUserError('Sign-in was cancelled.')]) {
        assert.deepEqual(stateAfterFailure(e, connected, SERVER), connected, e.name);
        assert.deepEqual(stateAfterFailure(e, signedOut, SERVER), signedOut, `${e.name}, while signing in or connecting`);
      }
    });

    it('a cancel wrapped by a library is still the user\'s cancel', () => {
      const wrapped = new Error('AbortError', { cause: new CancelledError('cancelled by you') });
      assert.deepEqual(stateAfterFailure(wrapped, connected, SERVER), connected);
    });

    it('blocked by policy: the state names the reason and the setting, whatever came before', () => {
      const e = new PolicyBlockedError('VS Code\'s settings turn MCP servers off (chat.mcp.access is "none").', SERVER, 'chat.mcp.access', false);
      const blocked = { kind: 'blockedByPolicy', server: SERVER, reason: e.message, setting: 'chat.mcp.access', managed: false };
      assert.deepEqual(stateAfterFailure(e, connected, SERVER), blocked);
      assert.deepEqual(stateAfterFailure(new Error('wrapped', { cause: e }), signedOut, SERVER), blocked);
      assert.deepEqual(view(blocked as ConnectionState).fix.args, ['chat.mcp.access']);
    });

    it('sign-in required: signed out, with the reason', () => {
      assert.deepEqual(stateAfterFailure(new AuthRequiredError('The token was rejected.'), connected, SERVER), { kind: 'signedOut', server: SERVER, reason: 'The token was rejected.' });
    });

    it('one tool needs more consent while connected: still connected', () => {
      assert.deepEqual(stateAfterFailure(new InsufficientScopeError('needs mcp:admin', 'mcp:admin'), connected, SERVER), connected);
    });

    it('more consent needed before any tool is listed: an error whose fix is Sign In', () => {
      const s = stateAfterFailure(new InsufficientScopeError('needs mcp:admin', 'mcp:admin'), signedOut, SERVER);
      assert.deepEqual(s, { kind: 'error', server: SERVER, message: 'needs mcp:admin', cause: 'InsufficientScopeError', fix: 'signIn' });
      assert.equal(view(s).fix?.command, 'secureMcp.signIn');
    });

    it('unreachable is unreachable, never "signed out"', () => {
      assert.deepEqual(stateAfterFailure(new ServerUnreachableError(UNREACHABLE), signedOut, SERVER), { kind: 'unreachable', server: SERVER, message: UNREACHABLE });
    });

    it('a URL that is not MCP, from the probe or from sign-in\'s discovery', () => {
      assert.equal(stateAfterFailure(new NotMcpEndpointError('404'), signedOut, SERVER).kind, 'notMcp');
      assert.equal(stateAfterFailure(new OAuthRefusedError('not-mcp-endpoint', '404'), signedOut, SERVER).kind, 'notMcp');
      assert.equal(stateAfterFailure(new OAuthRefusedError('issuer-mismatch', 'x'), signedOut, SERVER).kind, 'error');
    });

    it('anything else: an error naming its cause, with the same fix a toast or a chat reply offers', () => {
      for (const e of [new ProtocolError('bad'), new IdentityProviderError('idp down'), new TypeError('bug')]) {
        const s = stateAfterFailure(e, connected, SERVER);
        assert.equal(s.kind, 'error');
        assert.equal(s.kind === 'error' && s.cause, e.name);
        assert.equal(view(s).fix?.command, fixesFor(e, plainL10n)[0]?.command, e.name);
      }
    });

    it('the state\'s fix is the error\'s first fix, for every failure that changes the state', () => {
      const failures = [new AuthRequiredError('x'), new ServerUnreachableError('x'), new NotMcpEndpointError('x'), new OAuthRefusedError('not-mcp-endpoint', 'x'), new ProtocolError('x'), new InsufficientScopeError('x', undefined)];
      for (const e of failures) {
        assert.equal(view(stateAfterFailure(e, signedOut, SERVER)).fix?.command, fixesFor(e, plainL10n)[0]?.command, e.name);
      }
    });
  });
});
