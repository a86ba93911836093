import assert from 'node:assert/strict';
import { declaredSettings } from '../../support/manifest';
import { DEFAULT_SETTINGS, azureOpenAiScope, checkSecureUrl, readSettings, sessionScopes, type SettingReader } from '../../../src/common/settings';

const from = (values: Record<string, unknown>): SettingReader => key => values[key];

const declared = declaredSettings();

function defaultAt(key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], DEFAULT_SETTINGS);
}

describe('settings', () => {
  it('declares every setting in package.json with the same default and a description', () => {
    const keys = Object.keys(declared);
    assert.ok(keys.length >= 20, `only ${keys.length} settings declared`);
    for (const key of keys) {
      const short = key.replace(/^secureMcp\./, '');
      assert.deepEqual(declared[key].default, defaultAt(short), key);
      assert.ok(declared[key].description || declared[key].markdownDescription, `${key} has no description`);
    }
  });

  it('reads every declared key (no setting is declared but ignored)', () => {
    const seen = new Set<string>();
    readSettings(key => { seen.add(`secureMcp.${key}`); return undefined; });
    assert.deepEqual([...seen].sort(), Object.keys(declared).sort());
  });

  it('uses the defaults when nothing is set', () => {
    const r = readSettings(() => undefined);
    assert.deepEqual(r.settings, DEFAULT_SETTINGS);
    assert.deepEqual(r.problems, []);
  });

  const urls: [string, boolean][] = [
    ['https://contoso.example/mcp', true],
    ['http://127.0.0.1:3000/mcp', true],
    ['http://localhost:8080/mcp', true],
    ['http://[::1]:8080/mcp', true],
    ['http://127.5.6.7/mcp', true],
    ['http://contoso.example/mcp', false],
    ['http://localhost.evil.example/mcp', false],
    ['http://127.0.0.1.nip.io/mcp', false],
    ['javascript:alert(1)', false],
    ['file:///etc/passwd', false],
    ['ftp://contoso.example/', false],
    ['https://user:pw@contoso.example/mcp', false],
    ['https://contoso.example/mcp#frag', false],
    ['not a url', false]
  ];
  for (const [url, ok] of urls) {
    it(`${ok ? 'accepts' : 'refuses'} server URL ${url}`, () => {
      assert.equal(checkSecureUrl(url) === undefined, ok);
      const r = readSettings(from({ serverUrl: url }));
      assert.equal(r.settings.serverUrl, ok ? url : '');
      assert.equal(r.problems.some(p => p.key === 'secureMcp.serverUrl'), !ok);
    });
  }

  it('agrees with the package.json pattern on server URLs', () => {
    const pattern = new RegExp(declared['secureMcp.serverUrl'].pattern ?? '');
    for (const [url, ok] of urls.filter(([u]) => !u.includes('@') && !u.includes('#') && !u.includes('127.5.'))) {
      assert.equal(pattern.test(url), ok, url);
    }
  });

  it('rejects values of the wrong type or out of range and keeps the default', () => {
    const r = readSettings(from({
      'chat.maxToolRounds': 500,
      'approval.timeoutSeconds': '30',
      'auth.scopes': 'api://x/mcp:tools',
      'auth.tenant': 'not a tenant',
      'auth.clientId': 'has space',
      'llm.provider': 'gemini',
      'auth.providerId': 'has spaces',
      'protocol.version': '2024-11-05'
    }));
    assert.equal(r.settings.chat.maxToolRounds, 8);
    assert.equal(r.settings.approval.timeoutSeconds, 300);
    assert.deepEqual(r.settings.auth.scopes, []);
    assert.equal(r.settings.auth.tenant, '');
    assert.equal(r.settings.auth.clientId, '');
    assert.equal(r.settings.llm.provider, 'auto');
    assert.equal(r.settings.auth.providerId, 'microsoft');
    assert.equal(r.settings.protocol.version, 'auto', 'a revision this client does not speak is not taken');
    assert.deepEqual(r.problems.map(p => p.key).sort(), [
      'secureMcp.approval.timeoutSeconds', 'secureMcp.auth.clientId', 'secureMcp.auth.providerId', 'secureMcp.auth.scopes',
      'secureMcp.auth.tenant', 'secureMcp.chat.maxToolRounds', 'secureMcp.llm.provider', 'secureMcp.protocol.version'
    ]);
  });

  it('explains that Entra needs the full scope, not the bare mcp:tools', () => {
    const r = readSettings(from({ 'auth.scopes': ['mcp:tools'] }));
    assert.match(r.problems[0]?.message ?? '', /api:\/\/<server-app-id>\/mcp:tools/);
    const generic = readSettings(from({ 'auth.scopes': ['mcp:tools'], 'auth.providerId': 'secure-mcp-oauth' }));
    assert.deepEqual(generic.problems, []);
  });

  it('needs a GUID client id for Entra, any token-like id for other OAuth servers', () => {
    assert.ok(readSettings(from({ 'auth.clientId': 'my-keycloak-client' })).problems.some(p => p.key === 'secureMcp.auth.clientId' && /GUID/.test(p.message)));
    assert.deepEqual(readSettings(from({ 'auth.clientId': 'my-keycloak-client', 'auth.providerId': 'secure-mcp-oauth' })).problems, []);
    assert.deepEqual(readSettings(from({ 'auth.clientId': '11111111-2222-3333-4444-555555555555' })).problems, []);
  });

  it('refuses to mix .default with named scopes', () => {
    const r = readSettings(from({ 'auth.scopes': ['api://a/.default', 'api://a/mcp:tools'] }));
    assert.ok(r.problems.some(p => /\.default/.test(p.message)));
  });

  it('flags an Azure OpenAI provider without endpoint and deployment', () => {
    const r = readSettings(from({ 'llm.provider': 'azureOpenAI' }));
    assert.ok(r.problems.some(p => p.key === 'secureMcp.llm.provider'));
  });

  it('keyless Azure OpenAI: the provider is a setting, the scope follows the endpoint\'s cloud', () => {
    assert.equal(readSettings(from({})).settings.llm.azure.authProviderId, 'microsoft');
    const r = readSettings(from({ 'llm.azure.authProviderId': 'microsoft-sovereign-cloud' }));
    assert.equal(r.settings.llm.azure.authProviderId, 'microsoft-sovereign-cloud');
    const bad = readSettings(from({ 'llm.azure.authProviderId': 'not a provider' }));
    assert.ok(bad.problems.some(p => p.key === 'secureMcp.llm.azure.authProviderId'));
    assert.equal(bad.settings.llm.azure.authProviderId, 'microsoft');
    assert.equal(azureOpenAiScope('https://contoso.openai.azure.com'), 'https://cognitiveservices.azure.com/.default');
    assert.equal(azureOpenAiScope('https://contoso.openai.azure.us/'), 'https://cognitiveservices.azure.us/.default');
    assert.equal(azureOpenAiScope('https://contoso.openai.azure.cn'), 'https://cognitiveservices.azure.cn/.default');
    assert.equal(azureOpenAiScope('https://evil.azure.us.example.com'), 'https://cognitiveservices.azure.com/.default');
    assert.equal(azureOpenAiScope('http://127.0.0.1:4000'), 'https://cognitiveservices.azure.com/.default');
  });

  it('adds VS Code tenant and client hints only for the Microsoft providers', () => {
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const client = '11111111-2222-3333-4444-555555555555';
    const entra = readSettings(from({ 'auth.scopes': ['api://x/mcp:tools'], 'auth.tenant': tenant, 'auth.clientId': client })).settings;
    assert.deepEqual(sessionScopes(entra), ['api://x/mcp:tools', `VSCODE_TENANT:${tenant}`, `VSCODE_CLIENT_ID:${client}`]);
    const other = readSettings(from({ 'auth.providerId': 'secure-mcp-oauth', 'auth.tenant': tenant })).settings;
    assert.deepEqual(sessionScopes(other, ['mcp:tools']), ['mcp:tools']);
  });
});
