import assert from 'node:assert/strict';
import { discover } from '../../../../src/node/discovery/discovery';
import { OAuthClient, OAuthRefusedError } from '../../../../src/node/oauth';
import { startFakeAs, type FakeAs, type FakeConfig } from '../../../support/fakeAs';
import { MemorySecretStore, testLogger } from '../../../support/fakes';

/**
 * Configure/Diagnose (discover) and sign-in (OAuthClient) must judge a server the same
 * way: one accepting what the other refuses leaves a user with a configured server that
 * cannot sign in, or a Diagnose report that contradicts what sign-in did.
 */
describe('one discovery verdict for Diagnose and sign-in', function () {
  this.timeout(20_000);
  let fake: FakeAs | undefined;
  afterEach(async () => { await fake?.close(); fake = undefined; });

  async function verdicts(config: FakeConfig): Promise<{ diagnose: string; signIn: string }> {
    fake = await startFakeAs(config);
    const result = await discover(new URL(fake.serverUrl), { fetch: (input, init) => fetch(input, init), logger: testLogger });
    const diagnose = result.findings.find(f => f.level === 'error')?.code ?? 'ok';
    const client = new OAuthClient({ secrets: new MemorySecretStore(), logger: testLogger, lookup: async () => [], openBrowser: async () => { throw new Error('not needed'); } });
    const signIn = await client.discover(new URL(fake.serverUrl)).then(() => 'ok', (e: unknown) => e instanceof OAuthRefusedError ? e.refusal : `other: ${String(e)}`);
    return { diagnose, signIn };
  }

  const cases: [string, FakeConfig, string][] = [
    ['a well-behaved server', {}, 'ok'],
    ['metadata whose issuer differs by a trailing slash', { issuer: o => `${o}/as/` }, 'issuer-mismatch'],
    ['Protected Resource Metadata for the server URL with a trailing slash', { prmResource: o => `${o}/mcp/` }, 'resource-mismatch'],
    ['Protected Resource Metadata for a parent path of the server (the SDK\'s rule allows it)', { prmResource: o => `${o}/` }, 'ok'],
    ['Protected Resource Metadata for another server', { prmResource: () => 'https://evil.example.com/mcp' }, 'resource-mismatch'],
    ['an authorization server without PKCE S256', { metadata: () => ({ code_challenge_methods_supported: ['plain'] }) }, 'no-pkce']
  ];
  for (const [name, config, expected] of cases) {
    it(`${name}: both say ${expected}`, async () => {
      assert.deepEqual(await verdicts(config), { diagnose: expected, signIn: expected });
    });
  }
});
