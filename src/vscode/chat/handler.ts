import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { CallContext } from '../../common/approval/gate';
import { decodeClaims } from '../../common/auth/claims';
import type { HistoryTurn, PastToolCall } from '../../common/chat/history';
import { codeBlock, escapeMarkdown, inlineCode, untrustedMarkdown } from '../../common/chat/markdown';
import { describeState } from '../../common/connectionState';
import { errorText, fixesFor, type Fix } from '../../common/fixes';
import { scoped } from '../../common/log';
import { chooseModel, type ChosenModel } from '../llm/models';

import { PARTICIPANT_ID, type ParticipantDeps, type TurnMetadata } from './participant';
import { ReplyProgress } from './replyProgress';
import { capText, readableText, resultToText } from '../../common/chat/results';
import { maskedSession } from '../../common/chat/masking';
import type { ToolServer, ToolSession } from '../../common/chat/toolCalls';
import { toolListMarkdown } from '../../common/chat/toolList';
import { unusableReason } from '../../common/chat/tools';
import type { Tool } from '../../node/mcp/session';
import { pastToolCalls, runToolLoop, type ToolLoopEvent } from '../../common/chat/toolLoop';
import { ArgumentValidator } from '../../common/chat/validation';

/** Handles one @secure-mcp chat request. */
export async function handleChatRequest(deps: ParticipantDeps, request: vscode.ChatRequest, chatContext: vscode.ChatContext, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<vscode.ChatResult> {
  const log = scoped(deps.logger, 'chat');
  log.debug(`request command=${request.command ?? '(none)'}`);
  const current = deps.settings.current;
  const none: TurnMetadata = { command: request.command, toolCalls: [] };
  if (request.command === 'status') {
    await renderStatus(stream, deps, request.model);
    return { metadata: none };
  }
  if (!current.settings.serverUrl) {
    const state = describeState({ kind: 'notConfigured' }, vscode.l10n);
    stream.markdown(literal(state.detail));
    stream.button(button(state.fix));
    return { metadata: none };
  }
  const ac = new AbortController();
  const cancel = token.onCancellationRequested(() => ac.abort());
  let progress: ReplyProgress | undefined;
  try {
    if (request.command === 'tools') {
      stream.progress(vscode.l10n.t('Listing the tools of {0}…', current.settings.serverUrl));
      renderTools(stream, await maskedConnection(deps).listTools(ac.signal));
      return { metadata: none };
    }
    validator ??= new ArgumentValidator();
    progress = new ReplyProgress(stream, deps.onApprovalShown);
    if (request.command === 'call') {
      return { metadata: { command: 'call', toolCalls: await directCall(deps, request.prompt, stream, progress, validator, ac.signal) } };
    }
    return { metadata: { command: request.command, toolCalls: await toolLoop(deps, request, chatContext, stream, progress, validator, ac.signal) } };
  } catch (e) {
    log.warn(`turn failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    renderFailure(stream, e);
    // renderFailure already said what happened and offered the fix; errorDetails would repeat it.
    return { metadata: none };
  } finally {
    cancel.dispose();
    progress?.dispose();
  }
}

/** For /tools and /call, which show the server's words without a tool loop: masked as a turn masks them. */
function maskedConnection(deps: ParticipantDeps): ToolSession {
  return maskedSession(deps.connection, deps.connection.redact);
}

/** Compiled schemas are reused across turns. */
let validator: ArgumentValidator | undefined;

async function callContext(deps: ParticipantDeps): Promise<CallContext> {
  const url = new URL(deps.settings.current.settings.serverUrl);
  const token = deps.connection.currentToken;
  const claims = token ? decodeClaims(token.token) : undefined;
  return {
    serverUrl: url.href,
    serverLabel: url.host,
    ...(token?.account ? { account: { label: token.account.label, ...(claims?.oid ? { objectId: claims.oid } : {}), ...(claims?.tid ? { tenantId: claims.tid } : {}) } } : {})
  };
}

/** A namespace for the server's tools that the model's tool-name rules accept. */
function serverName(url: string): string {
  return new URL(url).hostname.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 20) || 'mcp';
}

/** Our earlier turns, with which tools ran; other participants' turns are not ours to replay. */
function historyOf(chatContext: vscode.ChatContext): HistoryTurn[] {
  const turns: HistoryTurn[] = [];
  for (const turn of chatContext.history) {
    if (turn.participant !== PARTICIPANT_ID) {
      continue;
    }
    if (turn instanceof vscode.ChatRequestTurn) {
      turns.push({ role: 'user', text: turn.prompt });
    } else if (turn instanceof vscode.ChatResponseTurn) {
      const text = turn.response.map(p => (p instanceof vscode.ChatResponseMarkdownPart ? p.value.value : '')).join('');
      const metadata = turn.result.metadata as Partial<TurnMetadata> | undefined;
      turns.push({ role: 'assistant', text, ...(metadata?.toolCalls ? { toolCalls: metadata.toolCalls } : {}) });
    }
  }
  return turns;
}

const OUTCOME_ICON: Record<string, string> = { ok: '✅', error: '⚠️', declined: '🚫', invalid: '⚠️', cancelled: '⏹️' };

/** A call's outcome in words: the user's own stop reads as theirs, never as a fault. */
function outcomeWords(outcome: string): string {
  switch (outcome) {
    case 'ok': return vscode.l10n.t('ok');
    case 'error': return vscode.l10n.t('error');
    case 'declined': return vscode.l10n.t('declined');
    case 'invalid': return vscode.l10n.t('not sent (invalid arguments)');
    case 'cancelled': return vscode.l10n.t('cancelled by you');
    default: return outcome;
  }
}

async function toolLoop(deps: ParticipantDeps, request: vscode.ChatRequest, chatContext: vscode.ChatContext, stream: vscode.ChatResponseStream, progress: ReplyProgress, validator: ArgumentValidator, signal: AbortSignal): Promise<PastToolCall[]> {
  const s = deps.settings.current.settings;
  // Connect first: a sign-in problem is reported before any model is asked.
  await deps.connection.listTools(signal);
  const chosen = await chooseModel(s, deps.context.secrets, request.model, deps.logger);
  const server: ToolServer = {
    name: serverName(s.serverUrl),
    context: await callContext(deps),
    session: deps.connection,
    redact: deps.connection.redact
  };
  // Model text is streamed line by line, each line made safe whole (a link split across deltas cannot slip through).
  let pending = '';
  const flush = (all: boolean) => {
    const cut = all ? pending.length : pending.lastIndexOf('\n') + 1;
    if (cut > 0) {
      stream.markdown(safe(pending.slice(0, cut)));
      pending = pending.slice(cut);
    }
  };
  const onEvent = (event: ToolLoopEvent) => {
    switch (event.type) {
      case 'text':
        pending += event.delta;
        flush(false);
        break;
      case 'toolCallAwaitingApproval':
        flush(true);
        progress.awaitingApproval(event.call.id, event.call.tool);
        break;
      case 'toolCallStarted':
        flush(true);
        progress.calling(event.call.id, event.call.tool, event.call.serverLabel);
        break;
      case 'toolCallProgress':
        progress.progress(event.call.id, event.call.tool, event);
        break;
      case 'toolCallFinished':
        if (event.call.outcome === 'ok' || event.call.outcome === 'error' || (event.call.outcome === 'cancelled' && event.call.durationMs > 0)) {
          void deps.completed(event.call.id, { outcome: event.call.outcome, resultBytes: event.call.resultChars });
        }
        break;
      case 'llmRetry':
        progress.llmRetry(event.info.delayMs);
        break;
      default:
        break;
    }
  };
  const result = await runToolLoop({
    model: chosen.model,
    servers: [server],
    gate: deps.gate(),
    prompt: request.prompt,
    history: historyOf(chatContext),
    signal,
    onEvent,
    logger: deps.logger,
    maxRounds: s.chat.maxToolRounds,
    maxResultChars: s.limits.maxResultCharsForModel,
    validator
  });
  flush(true);
  if (result.error) {
    stream.markdown('\n\n');
    renderFailure(stream, result.error);
  } else if (result.finalMessage) {
    stream.markdown('\n\n');
    stream.markdown(literal(result.finalMessage));
  } else if (result.stop === 'cancelled') {
    stream.markdown(`\n\n${vscode.l10n.t('Stopped: cancelled by you.')}`);
  }
  if (result.toolCalls.length) {
    stream.markdown(`\n\n---\n${vscode.l10n.t('Tool calls:')}\n`);
    for (const c of result.toolCalls) {
      stream.markdown(`- ${OUTCOME_ICON[c.outcome] ?? ''} ${inlineCode(c.tool)} ${vscode.l10n.t('on {0}', c.serverLabel)}: ${outcomeWords(c.outcome)}${c.durationMs ? ` (${c.durationMs} ms)` : ''}${c.outcome === 'declined' ? ` — ${vscode.l10n.t('nothing was sent to the server')}` : ''}\n`);
    }
  }
  stream.markdown(inert(`\n_${escapeMarkdown(vscode.l10n.t('Model: {0}.', describeModel(chosen)))}_`));
  return pastToolCalls(result);
}

/** `/call <tool> <json>`: no model involved, but still validated and approved. */
async function directCall(deps: ParticipantDeps, prompt: string, stream: vscode.ChatResponseStream, progress: ReplyProgress, validator: ArgumentValidator, signal: AbortSignal): Promise<PastToolCall[]> {
  const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(prompt);
  if (!m?.[1]) {
    stream.markdown(vscode.l10n.t('Usage: `/call <tool> <json arguments>`, for example `/call get_weather {"city": "Zurich"}`.'));
    return [];
  }
  const [, name, json = ''] = m;
  const session = maskedConnection(deps);
  const tools = await session.listTools(signal);
  const tool = tools.find(t => t.name === name);
  if (!tool) {
    stream.markdown(safe(vscode.l10n.t('The server has no tool {0}. Its tools: {1}', inlineCode(name), tools.map(t => inlineCode(t.name)).join(', '))));
    return [];
  }
  const unusable = unusableReason(tool);
  if (unusable) {
    stream.markdown(literal(vscode.l10n.t('{0} cannot be called: {1}. Nothing was sent.', tool.name, unusable)));
    return [];
  }
  const check = validator.check(tool, json);
  if (!check.ok) {
    stream.markdown(literal(vscode.l10n.t('The arguments do not fit the tool\'s input schema: {0}. Nothing was sent.', check.reason)));
    return [];
  }
  const id = randomUUID();
  const context = await callContext(deps);
  progress.awaitingApproval(id, tool.name);
  const decision = await deps.gate().decide({ id, context, tool, args: check.args, origin: 'user' }, signal);
  if (decision.kind === 'declined') {
    stream.markdown(vscode.l10n.t('🚫 Declined ({0}). Nothing was sent to the server.', decision.how));
    return [{ server: serverName(context.serverUrl), tool: tool.name, outcome: 'declined' }];
  }
  progress.calling(id, tool.name, context.serverLabel);
  const started = Date.now();
  try {
    const result = await session.callTool(tool.name, check.args, {
      signal,
      onProgress: p => progress.progress(id, tool.name, p)
    });
    const text = resultToText(result);
    await deps.completed(id, { outcome: result.isError ? 'error' : 'ok', resultBytes: text.length });
    // Indented JSON, wrapped lines: a chat code block does not wrap, and one minified line is unreadable.
    const capped = capText(readableText(text), deps.settings.current.settings.limits.maxResultCharsForModel);
    stream.markdown(vscode.l10n.t('{0} {1} answered in {2} ms (server output, shown as text):', result.isError ? '⚠️' : '✅', inlineCode(tool.name), Date.now() - started));
    stream.markdown('\n');
    stream.markdown(inert(codeBlock(capped.text)));
    return [{ server: serverName(context.serverUrl), tool: tool.name, outcome: result.isError ? 'error' : 'ok' }];
  } catch (e) {
    await deps.completed(id, { outcome: signal.aborted ? 'cancelled' : 'error', error: e });
    throw e;
  }
}

/** "label (why)": the chat turn's "Model: …" line and /status say the same. */
function describeModel(chosen: ChosenModel): string {
  return vscode.l10n.t('{0} ({1})', chosen.model.label, chosen.reason);
}

/** Markdown that can run nothing: no command links, no HTML (docs/security.md D7). */
function inert(markdown: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(markdown, false);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}

/** Model text: Markdown, but no images, HTML or non-web links. */
function safe(text: string): vscode.MarkdownString {
  return inert(untrustedMarkdown(text));
}

/** Untrusted text from the server, rendered literally. */
function literal(text: string): vscode.MarkdownString {
  return inert(escapeMarkdown(text));
}

function renderTools(stream: vscode.ChatResponseStream, tools: readonly Tool[]): void {
  stream.markdown(vscode.l10n.t('**{0} tools.** Descriptions and annotations are claims made by the server.\n\n', tools.length));
  stream.markdown(inert(toolListMarkdown(tools, {
    claims: hints => `(${vscode.l10n.t('claims: {0}', hints)})`,
    notOffered: why => `(${vscode.l10n.t('not offered to the model: {0}', why)})`
  })));
}

/** What went wrong, and the buttons that fix it: the same ones a command's toast offers. */
function renderFailure(stream: vscode.ChatResponseStream, e: unknown): void {
  stream.markdown(literal(errorText(e, vscode.l10n)));
  stream.markdown('\n\n');
  for (const fix of fixesFor(e, vscode.l10n)) {
    stream.button(button(fix));
  }
}

function button(fix: Fix): vscode.Command {
  return { command: fix.command, title: fix.title, ...(fix.args ? { arguments: [...fix.args] } : {}) };
}

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

async function renderStatus(stream: vscode.ChatResponseStream, deps: ParticipantDeps, chatModel: vscode.LanguageModelChat | undefined): Promise<void> {
  const { settings: s, problems } = deps.settings.current;
  const connection = deps.connection;
  const model = await modelStatus(deps, chatModel);
  const token = connection.currentToken;
  const claims = token ? decodeClaims(token.token) : undefined;
  const state = describeState(connection.state, vscode.l10n);
  const rows: [string, string][] = [
    [vscode.l10n.t('Server'), s.serverUrl || vscode.l10n.t('not configured')],
    [vscode.l10n.t('Connection'), state.detail],
    [vscode.l10n.t('Authentication provider'), s.auth.providerId],
    [vscode.l10n.t('Account'), token?.account?.label ?? vscode.l10n.t('not signed in')],
    [vscode.l10n.t('Tenant'), claims?.tid ?? (s.auth.tenant || vscode.l10n.t('provider default'))],
    [vscode.l10n.t('Scopes'), s.auth.scopes.length ? s.auth.scopes.join(' ') : vscode.l10n.t('from discovery')],
    [vscode.l10n.t('Token expires'), token?.expiresAt ? describeExpiry(token.expiresAt, Date.now()) : '-'],
    [vscode.l10n.t('Language model'), model.text]
  ];
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
  if (state.needsAction) {
    stream.button(button(state.fix));
  }
  if (model.error !== undefined) {
    for (const fix of fixesFor(model.error, vscode.l10n)) {
      stream.button(button(fix));
    }
  }
}
