import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { helper, requestUi, waitFor, withTimeout } from './util';

// The peers a real VS Code would have (a chat model, an auth provider), played by the
// test helper extension, seen from Secure MCP's side of the API.
suite('test peers', () => {
  test('the helper model is selectable by vendor and answers', async () => {
    const h = await helper();
    const models = await waitFor(() => vscode.lm.selectChatModels({ vendor: h.vendor }).then(m => m.length ? m : undefined), 'the helper model');
    assert.equal(models.length, 1);
    const [model] = models;
    assert.equal(model.id, h.modelId);
    const cts = new vscode.CancellationTokenSource();
    try {
      const response = await model.sendRequest([vscode.LanguageModelChatMessage.User('Say something.')], {}, cts.token);
      let text = '';
      for await (const chunk of response.text) {
        text += chunk;
      }
      if (!process.env.SECURE_MCP_TEST_LLM_URL) {
        assert.equal(text, h.cannedText);
      } else {
        assert.ok(text.length > 0);
      }
      assert.equal(h.requests.at(-1)?.messages.at(-1)?.content, 'Say something.');
    } finally {
      cts.dispose();
    }
  });

  test('the helper auth provider gives Secure MCP a session after the Accounts-menu grant', async function () {
    this.timeout(60_000);
    if (process.env.SECURE_MCP_TEST_UI !== 'playwright') {
      // Granting access needs a click in the Accounts menu, which only the code-server runner can do.
      this.skip();
    }
    const h = await helper();
    const scopes = ['mcp:tools'];
    assert.equal(await vscode.authentication.getSession(h.providerId, scopes, { silent: true }), undefined);
    // Modal consent is refused in smoke-test mode. Asking without flags queues a
    // "Sign in with … to use Secure MCP" entry in the Accounts menu; the runner clicks it.
    assert.equal(await vscode.authentication.getSession(h.providerId, scopes, {}), undefined);
    requestUi({ op: 'accountsMenu', label: `Sign in with ${h.providerLabel}` });
    await waitFor(() => vscode.authentication.getSession(h.providerId, scopes, { silent: true }), 'the granted session', 45_000);
    const session = await withTimeout(vscode.authentication.getSession(h.providerId, scopes, { createIfNone: true }), 5000, 'getSession with createIfNone');
    assert.ok(session);
    assert.deepEqual([...session.scopes], scopes);
    if (!process.env.SECURE_MCP_TEST_TOKEN_URL) {
      assert.equal(session.accessToken, h.fakeToken);
    }
  });

  test('the built-in microsoft provider answers a silent request with undefined, quickly', async function () {
    this.timeout(30_000);
    const started = Date.now();
    const session = await withTimeout(
      vscode.authentication.getSession('microsoft', ['api://00000000-0000-0000-0000-000000000000/mcp:tools'], { silent: true }),
      20_000,
      'a silent microsoft getSession'
    );
    assert.equal(session, undefined);
      console.log(`    (silent microsoft getSession took ${Date.now() - started} ms)`);
  });
});
