import assert from 'node:assert/strict';

interface Choice { settings: Record<string, unknown>; env: Record<string, string>; description: string }
type LlmChoice = (env: Record<string, string | undefined>) => Choice;

describe('npm start: the language model from the environment', () => {
  let llmChoice: LlmChoice;
  before(async () => {
    // A plain .mjs module without types: imported through a variable, typed above.
    const setup = '../../e2e/setup.mjs';
    ({ llmChoice } = await import(setup) as { llmChoice: LlmChoice });
  });

  it('nothing set: the chat view\'s model (the scripted one)', () => {
    assert.deepEqual(llmChoice({}), { settings: { 'secureMcp.llm.provider': 'vscode' }, env: {}, description: '' });
  });

  it('OPENAI_API_KEY: OpenAI, the key passed on to the extension host and never written to settings', () => {
    const c = llmChoice({ OPENAI_API_KEY: 'sk-canary', OPENAI_MODEL: 'gpt-5', OPENAI_BASE_URL: 'https://gateway.example/v1' });
    assert.equal(c.settings['secureMcp.llm.provider'], 'openai');
    assert.equal(c.settings['secureMcp.llm.openai.model'], 'gpt-5');
    assert.equal(c.settings['secureMcp.llm.openai.baseUrl'], 'https://gateway.example/v1');
    assert.deepEqual(c.env, { OPENAI_API_KEY: 'sk-canary' });
    assert.ok(!JSON.stringify(c.settings).includes('sk-canary') && !c.description.includes('sk-canary'));
  });

  it('Azure endpoint and deployment: Azure OpenAI, keyed or keyless; it wins over an OpenAI key', () => {
    const keyed = llmChoice({ AZURE_OPENAI_ENDPOINT: 'https://contoso.openai.azure.com', AZURE_OPENAI_DEPLOYMENT: 'gpt-4o', AZURE_OPENAI_API_KEY: 'az-canary', OPENAI_API_KEY: 'sk-x' });
    assert.equal(keyed.settings['secureMcp.llm.provider'], 'azureOpenAI');
    assert.equal(keyed.settings['secureMcp.llm.azure.auth'], 'apiKey');
    assert.deepEqual(keyed.env, { AZURE_OPENAI_API_KEY: 'az-canary' });
    assert.ok(!JSON.stringify(keyed.settings).includes('az-canary'));
    const keyless = llmChoice({ AZURE_OPENAI_ENDPOINT: 'https://contoso.openai.azure.com', AZURE_OPENAI_DEPLOYMENT: 'gpt-4o' });
    assert.equal(keyless.settings['secureMcp.llm.azure.auth'], 'entra');
    assert.deepEqual(keyless.env, {});
    assert.equal(llmChoice({ AZURE_OPENAI_ENDPOINT: 'https://contoso.openai.azure.com' }).settings['secureMcp.llm.provider'], 'vscode', 'an endpoint without a deployment is not enough');
  });
});
