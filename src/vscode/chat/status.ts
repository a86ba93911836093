import * as vscode from 'vscode';
import { decodeClaims } from '../../common/auth/claims';
import { escapeMarkdown } from '../../common/chat/markdown';
import { describeState } from '../../common/connectionState';
import { errorText, fixesFor, forServer, type Fix } from '../../common/fixes';
import { scoped } from '../../common/log';
import { chooseModel } from '../llm/models';
import type { ParticipantDeps } from './participant';
import { button, describeModel, inert, literal } from './render';

/* `/status`: each server's connection and sign-in, and the model a turn would use. */

/** The model a chat turn would use now, or why there is none; /status must not fail on it. */
async function modelStatus(deps: ParticipantDeps, chatModel: vscode.LanguageModelChat | undefined): Promise<{ text: string; error?: unknown }> {
  try {
    return { text: describeModel(await chooseModel(deps.settings.current.settings, deps.context.secrets, chatModel, deps.logger)) };
  } catch (e) {
    scoped(deps.logger, 'chat').info(`/status: no language model: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    const why = errorText(e, vscode.l10n);
    return { text: vscode.l10n.t('none: {0}', why), error: e };
  }
}

/** A local time a person reads, and how far away it is. */
function describeExpiry(expiresAt: number, now: number): string {
  const minutes = Math.round((expiresAt - now) / 60_000);
  const when = new Date(expiresAt).toLocaleString();
  if (minutes < 0) {
    return vscode.l10n.t('{0} (expired {1} min ago)', when, -minutes);
  }
  return minutes >= 120 ? vscode.l10n.t('{0} (in {1} h)', when, Math.round(minutes / 60)) : vscode.l10n.t('{0} (in {1} min)', when, minutes);
}

export async function renderStatus(stream: vscode.ChatResponseStream, deps: ParticipantDeps, chatModel: vscode.LanguageModelChat | undefined): Promise<void> {
  const { problems } = deps.settings.current;
  const model = await modelStatus(deps, chatModel);
  const fixes: Fix[] = [];
  // One table per server; the language model is shared.
  const rows: [string, string][] = deps.connections.all.flatMap((connection, i): [string, string][] => {
    const s = connection.settings;
    const token = connection.currentToken;
    const claims = token ? decodeClaims(token.token) : undefined;
    const state = describeState(connection.state, vscode.l10n);
    if (state.needsAction) {
      fixes.push(forServer(state.fix, connection.name));
    }
    return [
      ...(i > 0 ? [['', ''] as [string, string]] : []),
      [vscode.l10n.t('Server'), s.serverUrl ? `${connection.name}: ${s.serverUrl}` : vscode.l10n.t('not configured')],
      [vscode.l10n.t('Connection'), state.detail],
      [vscode.l10n.t('Authentication provider'), s.auth.providerId],
      [vscode.l10n.t('Account'), token?.account?.label ?? vscode.l10n.t('not signed in')],
      [vscode.l10n.t('Tenant'), claims?.tid ?? (s.auth.tenant || vscode.l10n.t('provider default'))],
      [vscode.l10n.t('Scopes'), s.auth.scopes.length ? s.auth.scopes.join(' ') : vscode.l10n.t('from discovery')],
      [vscode.l10n.t('Token expires'), token?.expiresAt ? describeExpiry(token.expiresAt, Date.now()) : '-']
    ];
  });
  rows.push([vscode.l10n.t('Language model'), model.text]);
  // A table cell is one line.
  const table = rows.map(([k, v]) => `| ${k} | ${escapeMarkdown(v.replace(/\s+/g, ' '))} |`).join('\n');
  stream.markdown(inert(`| ${vscode.l10n.t('Setting')} | ${vscode.l10n.t('Value')} |\n|---|---|\n${table}\n`));
  if (problems.length) {
    stream.markdown(`\n${vscode.l10n.t('Settings that need attention:')}\n\n`);
    for (const p of problems) {
      stream.markdown('- ');
      stream.markdown(literal(`${p.key} ${p.message}`));
      stream.markdown('\n');
    }
  }
  for (const fix of fixes) {
    stream.button(button(fix));
  }
  if (model.error !== undefined) {
    for (const fix of fixesFor(model.error, vscode.l10n)) {
      stream.button(button(fix));
    }
  }
}
