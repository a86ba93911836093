import * as vscode from 'vscode';
import { scoped, type Logger } from '../common/log';
import type { Settings } from '../common/settings';
import type { SettingsService } from './config';

export const PARTICIPANT_ID = 'secure-mcp.chat';

/** Metadata each turn returns, so follow-up turns know what happened. */
export interface TurnMetadata {
  readonly command: string | undefined;
  readonly toolCalls: readonly { readonly tool: string; readonly outcome: string }[];
}

export function registerParticipant(context: vscode.ExtensionContext, settings: SettingsService, logger: Logger): vscode.Disposable {
  const log = scoped(logger, 'chat');
  const handler: vscode.ChatRequestHandler = async (request, _context, stream) => {
    log.debug(`request command=${request.command ?? '(none)'}`);
    const current = settings.current;
    if (request.command === 'status') {
      renderStatus(stream, current.settings, current.problems);
    } else if (!current.settings.serverUrl) {
      stream.markdown(vscode.l10n.t('No MCP server is configured yet. Set the server URL first.'));
      stream.button({ command: 'secureMcp.configureServer', title: vscode.l10n.t('Configure Server…') });
    } else {
      stream.markdown(vscode.l10n.t('Connecting to {0} and calling its tools is not available yet in this version of Secure MCP. `/status` shows the configuration that will be used.', current.settings.serverUrl));
    }
    const metadata: TurnMetadata = { command: request.command, toolCalls: [] };
    return { metadata };
  };
  const participant = vscode.chat.createChatParticipant(PARTICIPANT_ID, handler);
  participant.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
  return participant;
}

function renderStatus(stream: vscode.ChatResponseStream, s: Settings, problems: readonly { key: string; message: string }[]): void {
  const rows: [string, string][] = [
    [vscode.l10n.t('Server'), s.serverUrl || vscode.l10n.t('not configured')],
    [vscode.l10n.t('Authentication provider'), s.auth.providerId],
    [vscode.l10n.t('Tenant'), s.auth.tenant || vscode.l10n.t('provider default')],
    [vscode.l10n.t('Scopes'), s.auth.scopes.length ? s.auth.scopes.join(' ') : vscode.l10n.t('from discovery')],
    [vscode.l10n.t('Account'), vscode.l10n.t('not signed in')],
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
