import * as vscode from 'vscode';
import { scoped, type Logger } from '../common/log';
import type { Settings } from '../common/settings';
import { decodeClaims } from '../common/auth/claims';
import { AuthRequiredError, ConfigurationError, SecureMcpError } from '../common/errors';
import type { SettingsService } from './config';
import type { ConnectionService } from './connection';

export const PARTICIPANT_ID = 'secure-mcp.chat';

/** Metadata each turn returns, so follow-up turns know what happened. */
export interface TurnMetadata {
  readonly command: string | undefined;
  readonly toolCalls: readonly { readonly tool: string; readonly outcome: string }[];
}

export function registerParticipant(context: vscode.ExtensionContext, settings: SettingsService, connection: ConnectionService, logger: Logger): vscode.Disposable {
  const log = scoped(logger, 'chat');
  const handler: vscode.ChatRequestHandler = async (request, _context, stream, token) => {
    log.debug(`request command=${request.command ?? '(none)'}`);
    const current = settings.current;
    const metadata: TurnMetadata = { command: request.command, toolCalls: [] };
    if (request.command === 'status') {
      renderStatus(stream, current.settings, current.problems, connection);
      return { metadata };
    }
    if (!current.settings.serverUrl) {
      stream.markdown(vscode.l10n.t('No MCP server is configured yet. Set the server URL first.'));
      stream.button({ command: 'secureMcp.configureServer', title: vscode.l10n.t('Configure Server…') });
      return { metadata };
    }
    if (request.command === 'tools') {
      const ac = new AbortController();
      const cancel = token.onCancellationRequested(() => ac.abort());
      try {
        stream.progress(vscode.l10n.t('Listing the tools of {0}…', current.settings.serverUrl));
        renderTools(stream, await connection.listTools(ac.signal));
      } catch (e) {
        renderFailure(stream, e);
      } finally {
        cancel.dispose();
      }
      return { metadata };
    }
    stream.markdown(vscode.l10n.t('Calling tools from chat is not available yet in this version of Secure MCP. `/tools` lists the server\'s tools and `/status` shows the connection.'));
    return { metadata };
  };
  const participant = vscode.chat.createChatParticipant(PARTICIPANT_ID, handler);
  participant.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
  return participant;
}

/** Untrusted text from the server, as a markdown string that renders it literally. */
function literal(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.supportHtml = false;
  md.appendText(text);
  return md;
}

function renderTools(stream: vscode.ChatResponseStream, tools: readonly { name: string; title?: string; description?: string; annotations?: Record<string, unknown> }[]): void {
  stream.markdown(vscode.l10n.t('**{0} tools.** Descriptions and annotations are claims made by the server.\n\n', tools.length));
  for (const t of tools) {
    stream.markdown('- ');
    stream.markdown(literal(t.name));
    if (t.description) {
      stream.markdown(': ');
      stream.markdown(literal(t.description.slice(0, 500)));
    }
    const claims = Object.entries(t.annotations ?? {}).filter(([k, v]) => k.endsWith('Hint') && v === true).map(([k]) => k);
    if (claims.length) {
      stream.markdown(' ');
      stream.markdown(literal(`(${vscode.l10n.t('claims: {0}', claims.join(', '))})`));
    }
    stream.markdown('\n');
  }
}

function renderFailure(stream: vscode.ChatResponseStream, e: unknown): void {
  stream.markdown(literal(e instanceof SecureMcpError ? e.message : vscode.l10n.t('Secure MCP could not reach the server. See the log for details.')));
  stream.markdown('\n\n');
  if (e instanceof AuthRequiredError) {
    stream.button({ command: 'secureMcp.signIn', title: vscode.l10n.t('Sign In') });
  } else if (e instanceof ConfigurationError) {
    stream.button({ command: 'secureMcp.configureServer', title: vscode.l10n.t('Configure Server…') });
  } else {
    stream.button({ command: 'secureMcp.diagnose', title: vscode.l10n.t('Diagnose') });
  }
}

function renderStatus(stream: vscode.ChatResponseStream, s: Settings, problems: readonly { key: string; message: string }[], connection: ConnectionService): void {
  const token = connection.currentToken;
  const claims = token ? decodeClaims(token.token) : undefined;
  const state = connection.state;
  const rows: [string, string][] = [
    [vscode.l10n.t('Server'), s.serverUrl || vscode.l10n.t('not configured')],
    [vscode.l10n.t('Connection'), state.kind === 'connected' ? vscode.l10n.t('connected, {0} tools ({1})', state.tools, connection.transport ?? 'http') : state.kind === 'error' ? state.message : state.kind],
    [vscode.l10n.t('Authentication provider'), s.auth.providerId],
    [vscode.l10n.t('Account'), token?.account?.label ?? vscode.l10n.t('not signed in')],
    [vscode.l10n.t('Tenant'), claims?.tid ?? (s.auth.tenant || vscode.l10n.t('provider default'))],
    [vscode.l10n.t('Scopes'), s.auth.scopes.length ? s.auth.scopes.join(' ') : vscode.l10n.t('from discovery')],
    [vscode.l10n.t('Token expires'), token?.expiresAt ? new Date(token.expiresAt).toISOString() : '-'],
    [vscode.l10n.t('Language model'), s.llm.provider]
  ];
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.appendMarkdown(`| ${vscode.l10n.t('Setting')} | ${vscode.l10n.t('Value')} |\n|---|---|\n`);
  for (const [k, v] of rows) {
    md.appendMarkdown(`| ${k} | `);
    md.appendText(v);
    md.appendMarkdown(' |\n');
  }
  stream.markdown(md);
  if (problems.length) {
    stream.markdown(`\n${vscode.l10n.t('Settings that need attention:')}\n`);
    for (const p of problems) {
      const line = new vscode.MarkdownString('- ');
      line.appendText(`${p.key} ${p.message}`);
      stream.markdown(line);
      stream.markdown('\n');
    }
  }
  if (!s.serverUrl) {
    stream.button({ command: 'secureMcp.configureServer', title: vscode.l10n.t('Configure Server…') });
  }
}
