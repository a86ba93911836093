import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { CallContext } from '../../common/approval/gate';
import { decodeClaims } from '../../common/auth/claims';
import type { HistoryTurn, PastToolCall } from '../../common/chat/history';
import { codeBlock, escapeMarkdown, inlineCode } from '../../common/chat/markdown';
import { describeState } from '../../common/connectionState';
import { errorText, fixesFor, forServer } from '../../common/fixes';
import type { ConnectionService } from '../connection/connection';
import { scoped } from '../../common/log';
import { chooseModel } from '../llm/models';
import { button, describeModel, inert, literal, renderFailure, renderTools, safe, ServerFailure } from './render';
import { renderStatus } from './status';

import { PARTICIPANT_ID, type ParticipantDeps, type TurnMetadata } from './participant';
import { ReplyProgress } from './replyProgress';
import { capText, readableText, resultToText } from '../../common/chat/results';
import { maskedSession } from '../../common/chat/masking';
import type { ToolServer, ToolSession } from '../../common/chat/toolCalls';
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
  if (!current.settings.servers.length) {
    const state = describeState(deps.connections.primary.state, vscode.l10n);
    stream.markdown(literal(state.detail));
    stream.button(button(state.fix));
    return { metadata: none };
  }
  const ac = new AbortController();
  const cancel = token.onCancellationRequested(() => ac.abort());
  let progress: ReplyProgress | undefined;
  try {
    if (request.command === 'tools') {
      await listAllTools(deps, stream, ac.signal);
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
function masked(connection: ConnectionService): ToolSession {
  return maskedSession(connection, connection.redact);
}

/**
 * `/tools`: every server's tools, each list under its server. With one server, its list
 * alone; a server that cannot list them says why, with its fix, and the others still show.
 */
async function listAllTools(deps: ParticipantDeps, stream: vscode.ChatResponseStream, signal: AbortSignal): Promise<void> {
  const all = deps.connections.all;
  stream.progress(vscode.l10n.t('Listing the tools of {0}…', all.map(c => c.label).join(', ')));
  const listed = await Promise.allSettled(all.map(c => masked(c).listTools(signal)));
  if (all.length === 1) {
    if (listed[0]!.status === 'rejected') {
      throw listed[0]!.reason;
    }
    renderTools(stream, listed[0]!.value);
    return;
  }
  all.forEach((c, i) => {
    const result = listed[i]!;
    stream.markdown(inert(`### ${escapeMarkdown(c.label)}\n\n`));
    if (result.status === 'fulfilled') {
      renderTools(stream, result.value);
    } else {
      renderFailure(stream, result.reason, c.name);
    }
    stream.markdown('\n\n');
  });
}

/**
 * The servers of one turn: each connected (in parallel) and listing its tools. A server
 * that cannot is left out of the turn and the reply says why, with its fix; only when none
 * can does the turn fail, as it would with one server.
 */
async function connectedServers(deps: ParticipantDeps, stream: vscode.ChatResponseStream, signal: AbortSignal): Promise<ConnectionService[]> {
  const all = deps.connections.all;
  const results = await Promise.allSettled(all.map(c => c.listTools(signal)));
  const ok = all.filter((_, i) => results[i]!.status === 'fulfilled');
  const failed = all.map((c, i) => ({ c, r: results[i]! })).filter(x => x.r.status === 'rejected');
  signal.throwIfAborted();
  if (!ok.length) {
    throw (failed[0]!.r as PromiseRejectedResult).reason;
  }
  for (const { c, r } of failed) {
    const e = (r as PromiseRejectedResult).reason;
    stream.markdown(literal(vscode.l10n.t('{0}: {1} Its tools are not offered in this turn.', c.label, errorText(e, vscode.l10n))));
    stream.markdown('\n\n');
    for (const fix of fixesFor(e, vscode.l10n)) {
      stream.button(button(forServer(fix, c.name)));
    }
  }
  return ok;
}

/** Compiled schemas are reused across turns. */
let validator: ArgumentValidator | undefined;

function callContext(connection: ConnectionService): CallContext {
  const url = new URL(connection.settings.serverUrl);
  const token = connection.currentToken;
  const claims = token ? decodeClaims(token.token) : undefined;
  return {
    serverUrl: url.href,
    serverLabel: connection.label,
    ...(token?.account ? { account: { label: token.account.label, ...(claims?.oid ? { objectId: claims.oid } : {}), ...(claims?.tid ? { tenantId: claims.tid } : {}) } } : {})
  };
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
  const connected = await connectedServers(deps, stream, signal);
  const chosen = await chooseModel(s, deps.context.secrets, request.model, deps.logger);
  const servers: ToolServer[] = connected.map(c => ({ name: c.name, context: callContext(c), session: c, redact: c.redact }));
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
      case 'tools': {
        // E2: the same or look-alike tool names on several servers; each approval names its server.
        const same = event.lookalikes.filter(g => g.kind === 'same').map(g => g.tools.join(' = '));
        const alike = event.lookalikes.filter(g => g.kind === 'lookalike').map(g => g.tools.join(' ≈ '));
        if (same.length || alike.length) {
          flush(true);
          const lines = [
            ...(same.length ? [vscode.l10n.t('⚠️ Tools of the same name on several servers: {0}.', same.join('; '))] : []),
            ...(alike.length ? [vscode.l10n.t('⚠️ Tools on different servers whose names look alike: {0}.', alike.join('; '))] : [])
          ];
          stream.markdown(literal(`${lines.join('\n\n')} ${vscode.l10n.t('Check the server named in each approval.')}`));
          stream.markdown('\n\n');
        }
        break;
      }
      default:
        break;
    }
  };
  const result = await runToolLoop({
    model: chosen.model,
    servers,
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

/**
 * Finds the tool of `/call`: `<server>/<tool>` names the server; a bare `<tool>` is looked
 * for on every server, and must be on exactly one. Says why when there is none.
 */
async function findCallTarget(deps: ParticipantDeps, name: string, stream: vscode.ChatResponseStream, signal: AbortSignal): Promise<{ connection: ConnectionService; tool: Tool } | undefined> {
  const slash = name.indexOf('/');
  const named = slash > 0 ? deps.connections.get(name.slice(0, slash)) : undefined;
  const toolName = named ? name.slice(slash + 1) : name;
  const candidates = named ? [named] : deps.connections.all;
  if (candidates.length === 1) {
    const connection = candidates[0]!;
    const tools = await masked(connection).listTools(signal);
    const tool = tools.find(t => t.name === toolName);
    if (!tool) {
      stream.markdown(safe(vscode.l10n.t('{0} has no tool {1}. Its tools: {2}', escapeMarkdown(connection.label), inlineCode(toolName), tools.map(t => inlineCode(t.name)).join(', '))));
      return undefined;
    }
    return { connection, tool };
  }
  const listed = await Promise.allSettled(candidates.map(c => masked(c).listTools(signal)));
  const found = candidates.flatMap((connection, i) => {
    const r = listed[i]!;
    const tool = r.status === 'fulfilled' ? r.value.find(t => t.name === toolName) : undefined;
    return tool ? [{ connection, tool }] : [];
  });
  if (found.length === 1) {
    return found[0];
  }
  stream.markdown(safe(found.length
    ? vscode.l10n.t('{0} is a tool of several servers; name one: {1}', inlineCode(toolName), found.map(f => inlineCode(`${f.connection.name}/${toolName}`)).join(', '))
    : vscode.l10n.t('No server has a tool {0}. Name the server as {1}; the servers: {2}', inlineCode(toolName), inlineCode('/call <server>/<tool> {…}'), candidates.map(c => inlineCode(c.name)).join(', '))));
  return undefined;
}

/** `/call [<server>/]<tool> <json>`: no model involved, but still validated and approved. */
async function directCall(deps: ParticipantDeps, prompt: string, stream: vscode.ChatResponseStream, progress: ReplyProgress, validator: ArgumentValidator, signal: AbortSignal): Promise<PastToolCall[]> {
  const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(prompt);
  if (!m?.[1]) {
    stream.markdown(vscode.l10n.t('Usage: `/call [<server>/]<tool> <json arguments>`, for example `/call get_weather {"city": "Zurich"}`.'));
    return [];
  }
  const [, name, json = ''] = m;
  const target = await findCallTarget(deps, name, stream, signal);
  if (!target) {
    return [];
  }
  const { connection, tool } = target;
  const session = masked(connection);
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
  const context = callContext(connection);
  progress.awaitingApproval(id, tool.name);
  const decision = await deps.gate().decide({ id, context, tool, args: check.args, origin: 'user' }, signal);
  if (decision.kind === 'declined') {
    stream.markdown(vscode.l10n.t('🚫 Declined ({0}). Nothing was sent to the server.', decision.how));
    return [{ server: connection.name, tool: tool.name, outcome: 'declined' }];
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
    return [{ server: connection.name, tool: tool.name, outcome: result.isError ? 'error' : 'ok' }];
  } catch (e) {
    await deps.completed(id, { outcome: signal.aborted ? 'cancelled' : 'error', error: e });
    // Its fixes are aimed at this server.
    throw new ServerFailure(connection.name, e);
  }
}
