import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ActivationExports } from '../../src/extension';
import type { WebviewTestDriver } from '../../src/vscode/panels/testDriver';
import type { SecureMcpApi } from '../../src/vscode/runtime';
import type { HelperApi } from './helper-extension/src/extension';

export const EXTENSION_ID = 'secure-mcp.secure-mcp';
export const HELPER_ID = 'secure-mcp-test.secure-mcp-test-helper';

/** Must match UI_REQUEST_PREFIX in test/runner/workbench.mjs. */
const UI_REQUEST_PREFIX = '[secure-mcp-ui] ';

export function extension(): vscode.Extension<ActivationExports | undefined> {
  const ext = vscode.extensions.getExtension<ActivationExports | undefined>(EXTENSION_ID);
  if (!ext) {
    throw new Error(`${EXTENSION_ID} is not installed in this extension host`);
  }
  return ext;
}

/** The test API of the development build (absent from the VSIX; see src/extension.ts). */
export async function api(): Promise<SecureMcpApi> {
  const exports = await extension().activate();
  if (!exports) {
    throw new Error(`${EXTENSION_ID} exports no test API: run the tests against a development build in test mode`);
  }
  return exports.api();
}

export async function helper(): Promise<HelperApi> {
  const ext = vscode.extensions.getExtension<HelperApi>(HELPER_ID);
  if (!ext) {
    throw new Error(`${HELPER_ID} is not installed; the runner copies it into the extensions dir`);
  }
  return ext.activate();
}

/** Rejects with `what` when `promise` takes longer than `ms`. */
/** The test hooks of the panel `panels` opened for `id` (pending or just decided). */
export function testDriver(panels: { webviewFor(id: string): { readonly test: WebviewTestDriver | undefined } | undefined }, id: string): WebviewTestDriver {
  const test = panels.webviewFor(id)?.test;
  if (!test) {
    throw new Error(`no panel with test hooks for ${id}`);
  }
  return test;
}

export async function withTimeout<T>(promise: Thenable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve(promise),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      })
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a truthy value. */
export async function waitFor<T>(check: () => T | PromiseLike<T>, what: string, ms = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) {
      return value as NonNullable<T>;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise(r => setTimeout(r, 50));
  }
}

/**
 * Asks the runner (Playwright, outside the extension host) for a UI action; see
 * handleUiRequest in test/runner/workbench.mjs. Fire and forget: poll for the effect.
 */
export function requestUi(request: { op: 'accountsMenu'; label: string } | { op: 'click'; selector: string } | { op: 'press'; key: string }): void {
  // The runner reads this line from the relayed console output.
  console.log(`${UI_REQUEST_PREFIX}${JSON.stringify(request)}`);
}

/** Sets a user (global) setting and returns a function that restores the previous value. */
export async function setSetting(key: string, value: unknown): Promise<() => Promise<void>> {
  const section = key.slice(0, key.indexOf('.'));
  const name = key.slice(key.indexOf('.') + 1);
  const previous = vscode.workspace.getConfiguration(section).inspect(name)?.globalValue;
  await vscode.workspace.getConfiguration(section).update(name, value, vscode.ConfigurationTarget.Global);
  return async () => {
    await vscode.workspace.getConfiguration(section).update(name, previous, vscode.ConfigurationTarget.Global);
  };
}

/** Sets several settings; the returned function restores them, last first. */
export async function setSettings(entries: readonly (readonly [string, unknown])[]): Promise<() => Promise<void>> {
  const restores: (() => Promise<void>)[] = [];
  for (const [key, value] of entries) {
    restores.push(await setSetting(key, value));
  }
  return async () => {
    for (const restore of restores.reverse()) {
      await restore();
    }
  };
}

/**
 * Sets (or with undefined removes) a variable in this extension host's environment,
 * which Secure MCP and the helper extension read too; the returned function puts back
 * what was there.
 */
export function setEnv(name: string, value: string | undefined): () => void {
  const previous = process.env[name];
  const put = (v: string | undefined) => {
    if (v === undefined) {
      delete process.env[name];
    } else {
      process.env[name] = v;
    }
  };
  put(value);
  return () => put(previous);
}

/**
 * Grants Secure MCP access to the helper's authentication provider the only way smoke
 * test mode allows: a session request without flags adds an Accounts-menu entry, which
 * the runner clicks with Playwright. Afterwards silent requests and createIfNone work.
 */
export async function grantTestProvider(providerId: string, label: string, scopes: readonly string[]): Promise<void> {
  if (await vscode.authentication.getSession(providerId, scopes, { silent: true })) {
    return;
  }
  await vscode.authentication.getSession(providerId, scopes, {});
  requestUi({ op: 'accountsMenu', label: `Sign in with ${label}` });
  await waitFor(() => vscode.authentication.getSession(providerId, scopes, { silent: true }), 'the Accounts-menu grant', 45_000);
}

function unescape(markdown: string): string {
  return markdown.replace(/&nbsp;/g, ' ').replace(/\\([\\`*_{}[\]()#+\-.!|<>~&:])/g, '$1');
}

/** Records what the participant writes, as the chat view would receive it. */
export class RecordingStream {
  readonly parts: string[] = [];
  readonly progress: string[] = [];
  readonly buttons: vscode.Command[] = [];
  markdown(value: string | vscode.MarkdownString): void {
    this.parts.push(typeof value === 'string' ? value : value.value);
  }
  progressMessage(value: string): void {
    this.progress.push(value);
  }
  button(command: vscode.Command): void {
    this.buttons.push(command);
  }
  /** What a reader sees: Markdown escapes (from MarkdownString.appendText or escapeMarkdown) undone. */
  get text(): string {
    return unescape(this.parts.join(''));
  }
  /** The progress lines as a reader sees them (they are Markdown too). */
  get progressLines(): string[] {
    return this.progress.map(unescape);
  }
  asStream(): vscode.ChatResponseStream {
    return { markdown: (v: string | vscode.MarkdownString) => this.markdown(v), progress: (v: string) => this.progressMessage(v), button: (c: vscode.Command) => this.button(c) } as unknown as vscode.ChatResponseStream;
  }
}

/** One chat turn through the participant's handler, recorded as the chat view would receive it. */
export async function chatTurn(prompt: string): Promise<RecordingStream> {
  const stream = new RecordingStream();
  const cts = new vscode.CancellationTokenSource();
  try {
    await (await api()).handleChat({ prompt, command: undefined, references: [], toolReferences: [] } as unknown as vscode.ChatRequest, { history: [] }, stream.asStream(), cts.token);
    return stream;
  } finally {
    cts.dispose();
  }
}

/** Ids of the approval (and elicitation) pages that said they rendered; a suite adds to it from onDidRender. */
export const renderedPanels = new Set<string>();

/** Decides the next approval through the real page: it renders, then its script clicks. */
export async function decideNext(choice: 'approve' | 'decline' | 'approveSession', tool?: string): Promise<string> {
  const panels = (await api()).approval().panels;
  const id = await waitFor(() => panels.pendingIds()[0], 'an approval panel', 20_000);
  const webview = panels.webviewFor(id);
  assert.ok(webview);
  webview.panel.reveal(undefined, false);
  await waitFor(() => renderedPanels.has(id), 'the approval page to render', 15_000);
  const report = await testDriver(panels, id).run({ op: 'probe' }, 15_000);
  assert.ok(tool ? report.text.includes(tool) : report.text.includes('get_weather') || report.text.includes('confirm_action'), `the panel shows the tool: ${report.text.slice(0, 300)}`);
  await testDriver(panels, id).send({ op: 'click', target: choice });
  await waitFor(() => !panels.pendingIds().includes(id), 'the decision');
  return report.text;
}
