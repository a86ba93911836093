import assert from 'node:assert/strict';
import { decodeClaims, expiresAtOf } from '../../../src/common/auth/claims';
import { diagnose, explainAadsts, renderReport, VSCODE_CLIENT_ID, type DiagnoseInput } from '../../../src/common/diagnose';
import { createSafeFetch } from '../../../src/node/discovery/safeFetch';
import { discover } from '../../../src/node/discovery/discovery';
import type { Logger } from '../../../src/common/log';
import { readSettings } from '../../../src/common/settings';
import { describeState } from '../../../src/common/connectionState';
import { plainL10n } from '../../../src/common/l10n';
import { startWorld, type World } from '../../world';

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const TENANT = '72f988bf-0000-4000-8000-00000000c0de';
const API = '5e1c2a4b-7d3f-4c8e-9a6b-1f2e3d4c5b6a';

function settings(values: Record<string, unknown>) {
  return readSettings(k => values[k]);
}
const codes = (input: DiagnoseInput) => diagnose(input).map(f => f.code);
/** Markdown-escaped as the report escapes text. */
const md = (text: string) => text.replace(/[\\`*_{}[\]<>|#!]/g, ch => `\\${ch}`);

describe('diagnose', function () {
  this.timeout(20_000);
  let world: World;
  before(async () => { world = await startWorld(); });
  after(async () => { await world.close(); });

  async function input(values: Record<string, unknown>, claims: Record<string, unknown> | undefined, url = world.urls.mcp): Promise<DiagnoseInput> {
    const r = settings({ serverUrl: url, 'auth.providerId': 'secure-mcp-test', ...values });
    const token = claims ? await world.idp.mintToken(claims) : undefined;
    return {
      settings: r.settings,
      problems: r.problems,
      discovery: await discover(new URL(url), { fetch: createSafeFetch(), logger: quiet }),
      token: token ? { acquired: true, account: 'alice@contoso.test', claims: decodeClaims(token) ?? {} } : { acquired: false },
      now: Date.now()
    };
  }

  it('finds nothing wrong with the right scope, tenant and token', async () => {
    const i = await input({ 'auth.scopes': [world.fullScope], 'auth.tenant': TENANT }, {});
    assert.deepEqual(diagnose(i).filter(f => f.level !== 'info'), []);
    assert.match(renderReport(i, diagnose(i)), /Everything checked out/);
  });

  it('explains a wrong scope: the token lacks mcp:tools', async () => {
    const i = await input({ 'auth.scopes': [`api://${API}/mcp:tools`] }, { scp: 'files:read' });
    const f = diagnose(i).find(x => x.code === 'scope-missing');
    assert.match(f?.message ?? '', /without "mcp:tools"/);
    assert.match(f?.fix ?? '', /full scope/);
  });

  it('for an entry of secureMcp.servers, findings, fixes and rows name its keys, and the heading its name', async () => {
    const i = { ...await input({ 'auth.scopes': [`api://${API}/mcp:tools`], 'auth.tenant': '' }, { scp: 'files:read' }), server: { name: 'fabrikam', source: 'secureMcp.servers[1]' } };
    const findings = diagnose(i);
    const text = findings.map(f => `${f.message} ${f.fix ?? ''}`).join('\n');
    assert.match(text, /secureMcp\.servers\[1\]\.auth\.scopes/);
    assert.doesNotMatch(text, /secureMcp\.auth\./, 'no advice about the single-server settings');
    const report = renderReport(i, findings);
    assert.match(report, /^# Secure MCP diagnosis: fabrikam/);
    assert.ok(report.includes('| secureMcp.servers[1].url |'), report);
    assert.ok(report.includes('| secureMcp.servers[1].auth.scopes |'));
  });

  it('explains a scope for another API (audience mismatch)', async () => {
    const i = await input({ 'auth.scopes': ['api://00000000-1111-2222-3333-444444444444/mcp:tools'] }, {});
    assert.ok(codes(i).includes('audience-mismatch'));
  });

  it('explains a wrong tenant', async () => {
    const i = await input({ 'auth.scopes': [world.fullScope], 'auth.tenant': TENANT }, { tid: '99999999-9999-4999-8999-999999999999' });
    const f = diagnose(i).find(x => x.code === 'tenant-mismatch-token');
    assert.match(f?.fix ?? '', new RegExp(`secureMcp.auth.tenant to ${TENANT}`));
  });

  it('flags the Microsoft provider for a server whose authorization server is not Entra ID', async () => {
    for (const providerId of ['microsoft', 'microsoft-sovereign-cloud']) {
      const i = await input({ 'auth.providerId': providerId, 'auth.scopes': [world.fullScope] }, undefined);
      assert.ok(i.discovery?.authorizationServer && !i.discovery.entra, 'the world server names a non-Entra authorization server');
      const f = diagnose(i).find(x => x.code === 'provider-not-oauth');
      assert.equal(f?.level, 'error', providerId);
      assert.ok(f.message.includes(i.discovery.authorizationServer), f.message);
      assert.match(f.message, new RegExp(`providerId is ${providerId}\\b`));
      assert.match(f.fix ?? '', /secureMcp\.auth\.providerId to secure-mcp-oauth/);
      assert.match(f.fix ?? '', /Secure MCP: Configure Server/);
    }
  });

  it('does not flag the provider when it can serve the authorization server, or when none was found', async () => {
    const oauth = await input({ 'auth.providerId': 'secure-mcp-oauth', 'auth.scopes': [world.fullScope] }, undefined);
    assert.ok(!codes(oauth).includes('provider-not-oauth'));
    const entra = settings({ serverUrl: 'https://mcp.contoso.example/mcp', 'auth.providerId': 'microsoft', 'auth.scopes': [`api://${API}/mcp:tools`], 'auth.tenant': TENANT });
    const entraDiscovery = {
      serverUrl: 'https://mcp.contoso.example/mcp',
      authorizationServer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      entra: { host: 'login.microsoftonline.com', tenant: TENANT, version: 'v2' as const },
      proposedScopes: [`api://${API}/mcp:tools`],
      findings: []
    };
    assert.ok(!codes({ settings: entra.settings, problems: [], discovery: entraDiscovery, now: Date.now() }).includes('provider-not-oauth'));
    const unknown = await input({ 'auth.providerId': 'microsoft', 'auth.scopes': [world.fullScope] }, undefined, `${world.llm.url}/mcp`);
    assert.equal(unknown.discovery?.authorizationServer, undefined);
    assert.ok(!codes(unknown).includes('provider-not-oauth'), 'no authorization server found: nothing to compare');
  });

  it('explains a URL that is not an MCP endpoint (the LLM server\'s), without advice about metadata', async () => {
    const i = await input({ 'auth.scopes': [world.fullScope] }, undefined, `${world.llm.url}/mcp`);
    assert.ok(codes(i).includes('not-mcp-endpoint'), JSON.stringify(diagnose(i)));
    assert.ok(!codes(i).includes('no-resource-metadata'));
    assert.ok(codes(i).includes('not-signed-in'));
  });

  it('explains an app-only token and an expired one', async () => {
    const i = await input({ 'auth.scopes': [world.fullScope] }, { scp: undefined, roles: ['Tools.Invoke'], exp: Math.floor(Date.now() / 1000) - 600 });
    assert.ok(codes(i).includes('app-only-token'));
    assert.ok(codes(i).includes('token-expired'));
  });

  it('names the MCP revision and transport of a working connection, in the words of the status bar', async () => {
    const state = { kind: 'connected', server: world.urls.mcp, tools: 7, account: 'alice', transport: 'streamable-http', protocol: '2026-07-28' } as const;
    const i = { ...await input({ 'auth.scopes': [world.fullScope], 'auth.tenant': TENANT }, {}), state };
    const connected = diagnose(i).find(f => f.code === 'connected');
    assert.equal(connected?.message, describeState(state, plainL10n).detail);
    assert.match(connected?.message ?? '', /7 tools, MCP 2026-07-28 over streamable-http/);
    const report = renderReport(i, diagnose(i));
    assert.ok(report.includes(`**Connection:** ${md(describeState(state, plainL10n).detail)}`), report);
  });

  it('a server that cannot be reached or is not MCP: the connection line says so, once', async () => {
    const down = { kind: 'unreachable', server: 'http://127.0.0.1:9/mcp', message: 'Cannot reach the MCP server at http://127.0.0.1:9/mcp (ECONNREFUSED).' } as const;
    const r = settings({ serverUrl: down.server, 'auth.providerId': 'secure-mcp-test' });
    const i: DiagnoseInput = {
      settings: r.settings, problems: r.problems, now: Date.now(), state: down,
      discovery: { serverUrl: down.server, proposedScopes: [], findings: [{ level: 'error', code: 'unreachable', message: 'Cannot reach http://127.0.0.1:9/mcp: ECONNREFUSED' }] }
    };
    assert.deepEqual(codes(i), ['unreachable'], 'the probe\'s finding, not a second one for the same cause');
    assert.match(renderReport(i, diagnose(i)), /\*\*Connection:\*\* Cannot reach the MCP server/);
    const failed: DiagnoseInput = { ...i, discovery: { ...i.discovery!, findings: [] }, state: { kind: 'error', server: down.server, message: 'boom', cause: 'ProtocolError', fix: 'diagnose' } };
    assert.deepEqual(diagnose(failed).map(f => [f.code, f.message]), [['connect-failed', 'Connecting failed: boom.']]);
  });

  it('a server the MCP policy blocks: no probe ran, and the finding names the setting and who set it', () => {
    const server = 'https://good.example/mcp';
    const r = settings({ serverUrl: server, 'auth.providerId': 'secure-mcp-test' });
    const reason = 'Your organization\'s policy turns MCP servers off (chat.mcp.access is "none").';
    for (const managed of [true, false]) {
      const i: DiagnoseInput = { settings: r.settings, problems: r.problems, now: Date.now(), state: { kind: 'blockedByPolicy', server, reason, setting: 'chat.mcp.access', managed } };
      const found = diagnose(i).filter(f => f.code === 'blocked-by-policy');
      assert.equal(found.length, 1);
      assert.equal(found[0]?.message, `${reason} Secure MCP does not contact ${server}.`);
      assert.equal(found[0]?.fix, managed ? 'chat.mcp.access is set by your organization\'s policy: ask your administrator.' : 'Look at chat.mcp.access in VS Code\'s settings.');
    }
  });

  it('explains settings problems and missing configuration', () => {
    const r = settings({ serverUrl: 'http://evil.example/mcp' });
    const found = diagnose({ settings: r.settings, problems: r.problems, now: Date.now() });
    assert.deepEqual(found.map(f => f.code), ['setting', 'no-server']);
  });

  it('asks for a configured scope only where the provider needs one (Entra)', () => {
    for (const [provider, expected] of [['microsoft', true], ['microsoft-sovereign-cloud', true], ['secure-mcp-oauth', false]] as const) {
      const r = settings({ serverUrl: 'https://mcp.contoso.example/mcp', 'auth.providerId': provider });
      const found = diagnose({ settings: r.settings, problems: r.problems, now: Date.now() }).map(f => f.code);
      assert.equal(found.includes('no-scopes'), expected, provider);
    }
  });

  it('maps AADSTS codes to the concrete fix', () => {
    const [e] = explainAadsts('AADSTS65002: Consent between first party application and first party resource must be configured');
    assert.match(e?.fix ?? '', new RegExp(VSCODE_CLIENT_ID));
    for (const code of ['AADSTS50011', 'AADSTS65001', 'AADSTS70011', 'AADSTS90009', 'AADSTS9010010', 'AADSTS500011', 'AADSTS700016']) {
      const [x] = explainAadsts(`error ${code}: something`);
      assert.equal(x?.code, code);
      assert.ok(x && !/Look up/.test(x.fix), `${code} has a concrete fix`);
    }
    const r = settings({ serverUrl: 'https://x.example/mcp', 'auth.scopes': ['api://x/mcp:tools'] });
    const found = diagnose({ settings: r.settings, problems: [], token: { acquired: false, error: 'AADSTS700016: Application not found' }, now: 0 });
    assert.ok(found.some(f => f.code === 'AADSTS700016'));
  });

  it('never prints the token, and escapes server-controlled text', async () => {
    const i = await input({ 'auth.scopes': [world.fullScope] }, {});
    const token = await world.idp.mintToken({});
    const report = renderReport({ ...i, token: { acquired: true, claims: decodeClaims(token) ?? {} } }, [{ level: 'error', code: 'x', message: 'evil [link](command:workbench.action.reloadWindow) <img src=x>' }]);
    assert.ok(!report.includes(token));
    assert.ok(!report.includes(token.split('.')[1] ?? 'x'));
    assert.doesNotMatch(report, /(?<!\\)\]\(command:/);
    assert.doesNotMatch(report, /(?<!\\)<img/);
    assert.match(report, /\\\[link\\\]/);
  });

  it('decodes only the listed claims and tolerates opaque tokens', async () => {
    const token = await world.idp.mintToken({ secret_claim: 'do-not-show' });
    const c = decodeClaims(token);
    assert.equal(c?.aud, API);
    assert.ok(!JSON.stringify(c).includes('do-not-show'));
    assert.equal(decodeClaims('opaque-token'), undefined);
    assert.equal(decodeClaims('a.!!!.c'), undefined);
    assert.ok((expiresAtOf(token) ?? 0) > Date.now());
  });
});
