import type { CallToolResult, Progress, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ApprovalDecision, ApprovalGate, CallContext } from '../approval/gate';
import { SecureMcpError } from '../errors';
import { LlmCancelledError } from '../llm/errors';
import type { ChatModel, LlmMessage, LlmResponse, LlmRetryInfo, LlmToolCall, LlmToolSpec } from '../llm/types';
import { scoped, type Logger } from '../log';
import { historyMessages, SYSTEM_PROMPT, type HistoryTurn, type PastToolCall, type ToolOutcome } from './history';
import { capText, resultToText, wrapUntrusted } from './results';
import { buildToolCatalog, toolKey, toToolSpec, type CatalogEntry, type NameCollision, type ToolCatalog } from './tools';
import { ArgumentValidator } from './validation';

/** What the loop needs of an MCP session (McpSession satisfies it). */
export interface ToolSession {
  listTools(signal?: AbortSignal): Promise<readonly Tool[]>;
  callTool(name: string, args: Record<string, unknown>, options?: { signal?: AbortSignal; onProgress?: (progress: Progress) => void }): Promise<CallToolResult>;
}

/** One connected MCP server whose tools the model may use. */
export interface ToolServer {
  /** Namespace of its tools for the model (`<name>__<tool>`); unique among the servers of one chat. */
  readonly name: string;
  /** Shown with every approval. */
  readonly context: CallContext;
  readonly session: ToolSession;
}

/** Identifies one tool call in events; `args` are undefined when they could not be parsed. */
export interface ToolCallInfo {
  /** Our id (also the approval's `PendingToolCall.id`), unique per call. */
  readonly id: string;
  readonly server: string;
  readonly serverLabel: string;
  /** The exact MCP tool name. */
  readonly tool: string;
  /** Undefined when the model named no offered tool. */
  readonly toolDefinition: Tool | undefined;
  readonly args: Record<string, unknown> | undefined;
  readonly round: number;
}

export interface ToolCallSummary extends ToolCallInfo {
  readonly outcome: ToolOutcome;
  /** Time the MCP call took; 0 when it was never sent. */
  readonly durationMs: number;
  /** Characters of the result text (before capping); 0 when there was none. */
  readonly resultChars: number;
  readonly truncated: boolean;
  /** Why, for `invalid`, `declined` and `error`; from us, or the server's error text (untrusted). */
  readonly detail?: string;
}

/**
 * Everything the chat view may show, in order. Text from the model and from servers
 * arrives raw: the caller renders it as untrusted Markdown or plain text.
 */
export type ToolLoopEvent =
  | { readonly type: 'tools'; readonly offered: number; readonly total: number; readonly collisions: readonly NameCollision[] }
  | { readonly type: 'round'; readonly round: number; readonly maxRounds: number }
  | { readonly type: 'text'; readonly delta: string }
  | { readonly type: 'llmRetry'; readonly info: LlmRetryInfo }
  /** Approved and sent to the server. */
  | { readonly type: 'toolCallStarted'; readonly call: ToolCallInfo }
  /** `message` is the server's (untrusted) progress text. */
  | { readonly type: 'toolCallProgress'; readonly call: ToolCallInfo; readonly progress: number; readonly total?: number; readonly message?: string }
  /** Every call the model asked for ends here, whether it ran or not. */
  | { readonly type: 'toolCallFinished'; readonly call: ToolCallSummary };

export type ToolLoopStop =
  /** The model answered without asking for more tools. */
  | 'done'
  /** The model still wanted tools after `maxRounds` rounds; those calls were not run. */
  | 'round-limit'
  | 'cancelled'
  /** `error` says what failed (an `LlmError`, or the session's error while listing tools). */
  | 'error'
  /** The model ran out of output tokens. */
  | 'length'
  | 'content-filter';

export interface ToolLoopResult {
  readonly stop: ToolLoopStop;
  /** All text the model streamed over all rounds. */
  readonly text: string;
  /** Our closing line when the loop, not the model, ended the turn (round limit, length, filter). */
  readonly finalMessage?: string;
  readonly error?: Error;
  /** LLM requests made. */
  readonly rounds: number;
  readonly toolCalls: readonly ToolCallSummary[];
  readonly toolsOffered: number;
  readonly toolsTotal: number;
  readonly collisions: readonly NameCollision[];
  /** `ChatModel.label`, so the reply can say which model answered. */
  readonly model: string;
}

export interface ToolLoopOptions {
  readonly model: ChatModel;
  readonly servers: readonly ToolServer[];
  readonly gate: ApprovalGate;
  readonly prompt: string;
  readonly history?: readonly HistoryTurn[];
  /** Stops the LLM stream, waiting approvals, and in-flight MCP calls (sent `notifications/cancelled`). */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: ToolLoopEvent) => void;
  readonly logger: Logger;
  /** Rounds of tool calls before the loop stops (`secureMcp.chat.maxToolRounds`). Default 8. */
  readonly maxRounds?: number;
  /** Cap on one result's text before it reaches the model (`secureMcp.limits.maxResultCharsForModel`). Default 20,000. */
  readonly maxResultChars?: number;
  /** Cap on replayed history. Default 24,000 characters. */
  readonly maxHistoryChars?: number;
  /** Shared across turns so compiled schemas are reused. */
  readonly validator?: ArgumentValidator;
  readonly now?: () => number;
  readonly newCallId?: () => string;
}

export const DEFAULT_MAX_ROUNDS = 8;
export const DEFAULT_MAX_RESULT_CHARS = 20_000;

/** Everything the model is sent for one turn, before the first round. */
export interface PreparedTurn {
  readonly catalog: ToolCatalog;
  readonly specs: readonly LlmToolSpec[];
  readonly messages: LlmMessage[];
}

/**
 * The pure part of a turn: tool catalog, function specs and starting messages. Split
 * out so its cost can be measured (test/bench/loop.mjs) and kept small.
 */
export function prepareTurn(model: ChatModel, servers: readonly { name: string; tools: readonly Tool[] }[], prompt: string, history: readonly HistoryTurn[] = [], maxHistoryChars?: number): PreparedTurn {
  const recentlyUsed = new Set<string>();
  for (const turn of history) {
    if (turn.role === 'assistant') {
      for (const c of turn.toolCalls ?? []) {
        recentlyUsed.add(toolKey(c.server, c.tool));
      }
    }
  }
  const catalog = buildToolCatalog(servers, { rules: model.toolNameRules, maxTools: model.maxTools, prompt, recentlyUsed });
  const specs = catalog.entries.map(e => toToolSpec(e));
  const messages: LlmMessage[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    ...historyMessages(history, maxHistoryChars),
    { role: 'user', content: prompt }
  ];
  return { catalog, specs, messages };
}

/** The calls of a finished turn as the participant stores them for follow-up turns. */
export function pastToolCalls(result: ToolLoopResult): PastToolCall[] {
  return result.toolCalls.map(c => ({ server: c.server, tool: c.tool, outcome: c.outcome }));
}

/**
 * One chat turn: the model streams, asks for tools, each call is validated, approved
 * through the gate and sent, and results go back as untrusted, delimited, capped text,
 * until the model answers or the round limit is reached. Never throws for LLM, server
 * or cancellation failures: the result says how the turn ended, with the calls made.
 */
export async function runToolLoop(options: ToolLoopOptions): Promise<ToolLoopResult> {
  return new ToolLoop(options).run();
}

class ToolLoop {
  private readonly log: Logger;
  private readonly maxRounds: number;
  private readonly maxResultChars: number;
  private readonly validator: ArgumentValidator;
  private readonly now: () => number;
  private readonly newCallId: () => string;
  private readonly emit: (event: ToolLoopEvent) => void;
  private readonly calls: ToolCallSummary[] = [];
  private text = '';
  private rounds = 0;
  private catalog: ToolCatalog | undefined;

  constructor(private readonly o: ToolLoopOptions) {
    this.log = scoped(o.logger, 'chat');
    this.maxRounds = Math.max(1, o.maxRounds ?? DEFAULT_MAX_ROUNDS);
    this.maxResultChars = Math.max(100, o.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS);
    this.validator = o.validator ?? new ArgumentValidator();
    this.now = o.now ?? (() => performance.now());
    this.newCallId = o.newCallId ?? (() => globalThis.crypto.randomUUID());
    const sink = o.onEvent;
    this.emit = event => {
      try {
        sink?.(event);
      } catch (e) {
        // A rendering bug must not leave approved calls half-done.
        this.log.error(`event handler failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
  }

  async run(): Promise<ToolLoopResult> {
    const signal = this.o.signal;
    let prepared: PreparedTurn;
    try {
      const listed = await Promise.all(this.o.servers.map(async s => ({ name: s.name, tools: await s.session.listTools(signal) })));
      prepared = prepareTurn(this.o.model, listed, this.o.prompt, this.o.history ?? [], this.o.maxHistoryChars);
    } catch (e) {
      return signal?.aborted ? this.finish('cancelled') : this.finish('error', { error: asError(e) });
    }
    const { catalog, specs, messages } = prepared;
    this.catalog = catalog;
    this.emit({ type: 'tools', offered: catalog.entries.length, total: catalog.total, collisions: catalog.collisions });
    if (catalog.collisions.length) {
      this.log.warn(`tool names that collide after sanitising: ${catalog.collisions.map(c => `${c.exposedName} ← ${c.tools.join(', ')}`).join('; ')}`);
    }
    if (catalog.entries.length < catalog.total) {
      this.log.info(`offering the ${catalog.entries.length} most relevant of ${catalog.total} tools (${this.o.model.label} accepts ${this.o.model.maxTools})`);
    }

    for (let round = 1; ; round++) {
      if (signal?.aborted) {
        return this.finish('cancelled');
      }
      this.rounds = round;
      this.emit({ type: 'round', round, maxRounds: this.maxRounds });
      let response: LlmResponse;
      try {
        response = await this.o.model.complete({
          messages,
          tools: specs,
          ...(signal ? { signal } : {}),
          onText: delta => {
            this.text += delta;
            this.emit({ type: 'text', delta });
          },
          onRetry: info => this.emit({ type: 'llmRetry', info })
        });
      } catch (e) {
        if (signal?.aborted || e instanceof LlmCancelledError) {
          return this.finish('cancelled');
        }
        return this.finish('error', { error: asError(e) });
      }
      // A turn that completed just as the user cancelled must not run its tool calls.
      if (signal?.aborted) {
        return this.finish('cancelled');
      }
      messages.push({ role: 'assistant', content: response.text, ...(response.toolCalls.length ? { toolCalls: response.toolCalls } : {}) });
      if (!response.toolCalls.length) {
        if (response.finishReason === 'length') {
          return this.finish('length', { finalMessage: 'The answer was cut off because the model reached its output limit.' });
        }
        if (response.finishReason === 'content_filter') {
          return this.finish('content-filter', { finalMessage: 'The model\'s content filter stopped the answer.' });
        }
        return this.finish('done');
      }
      if (round > this.maxRounds) {
        const n = response.toolCalls.length;
        this.log.warn(`round limit ${this.maxRounds} reached; ${n} further tool call(s) not run`);
        return this.finish('round-limit', {
          finalMessage: `Stopped after ${this.maxRounds} rounds of tool calls (the limit set by secureMcp.chat.maxToolRounds). The model wanted ${n} more tool call${n === 1 ? '' : 's'}, which ${n === 1 ? 'was' : 'were'} not run. Ask again to continue, or raise the limit.`
        });
      }
      const toolMessages = await this.runCalls(response.toolCalls, round);
      messages.push(...toolMessages);
      if (signal?.aborted) {
        return this.finish('cancelled');
      }
    }
  }

  /**
   * Validates and approves calls one at a time (one approval on screen at once) and
   * runs each approved call as soon as it is approved, so parallel calls overlap.
   * Returns one tool message per call, in the model's order.
   */
  private async runCalls(calls: readonly LlmToolCall[], round: number): Promise<LlmMessage[]> {
    const signal = this.o.signal;
    const contents: Promise<string>[] = [];
    for (const call of calls) {
      const entry = this.catalog!.byExposedName.get(call.name);
      const server = entry ? this.o.servers.find(s => s.name === entry.server) : undefined;
      const info = (args: Record<string, unknown> | undefined): ToolCallInfo => ({
        id: this.newCallId(),
        server: entry?.server ?? '',
        serverLabel: server?.context.serverLabel ?? '',
        tool: entry?.tool.name ?? call.name,
        toolDefinition: entry?.tool,
        args,
        round
      });
      if (!entry || !server) {
        contents.push(Promise.resolve(this.finishCall(info(undefined), 'invalid', {
          detail: 'no such function',
          message: `The call was not sent: there is no function named ${JSON.stringify(call.name.slice(0, 100))}. Use only the functions offered.`
        })));
        continue;
      }
      const check = this.validator.check(entry.tool, call.arguments);
      if (!check.ok) {
        contents.push(Promise.resolve(this.finishCall(info(undefined), 'invalid', {
          detail: check.reason,
          message: `The call was not sent: ${check.reason}. Check the function's parameters before calling it again.`
        })));
        continue;
      }
      const callInfo = info(check.args);
      if (signal?.aborted) {
        contents.push(Promise.resolve(this.cancelled(callInfo)));
        continue;
      }
      const decision = await this.decide(server, entry, callInfo);
      if (decision.kind === 'declined') {
        if (signal?.aborted || decision.how === 'cancelled') {
          contents.push(Promise.resolve(this.cancelled(callInfo)));
          continue;
        }
        const why = decision.how === 'timeout'
          ? 'The user did not approve this call in time, so it was not run; do not retry it.'
          : decision.how === 'policy'
            ? 'Policy refused this call, so it was not run; do not retry it.'
            : 'The user declined this call; do not retry it.';
        contents.push(Promise.resolve(this.finishCall(callInfo, 'declined', { detail: decision.reason ?? decision.how, message: why })));
        continue;
      }
      if (signal?.aborted) {
        // Approved just as the user cancelled: cancelling wins.
        contents.push(Promise.resolve(this.cancelled(callInfo)));
        continue;
      }
      contents.push(this.send(server, entry, callInfo));
    }
    const texts = await Promise.all(contents);
    return calls.map((c, i) => ({ role: 'tool' as const, toolCallId: c.id, name: c.name, content: texts[i]! }));
  }

  private async decide(server: ToolServer, entry: CatalogEntry, call: ToolCallInfo): Promise<ApprovalDecision> {
    try {
      return await this.o.gate.decide({ id: call.id, context: server.context, tool: entry.tool, args: call.args ?? {}, origin: 'llm' }, this.o.signal);
    } catch (e) {
      // Fail closed: a gate that cannot decide has not approved.
      this.log.error(`approval failed for ${entry.server}/${entry.tool.name}: ${asError(e).message}`);
      return { kind: 'declined', how: 'closed', reason: 'the approval could not be shown' };
    }
  }

  private async send(server: ToolServer, entry: CatalogEntry, call: ToolCallInfo): Promise<string> {
    const signal = this.o.signal;
    const label = `${entry.server}/${entry.tool.name}`;
    this.emit({ type: 'toolCallStarted', call });
    const started = this.now();
    try {
      const result = await server.session.callTool(entry.tool.name, call.args ?? {}, {
        ...(signal ? { signal } : {}),
        onProgress: p => this.emit({
          type: 'toolCallProgress', call, progress: p.progress,
          ...(p.total !== undefined ? { total: p.total } : {}),
          ...(p.message !== undefined ? { message: p.message } : {})
        })
      });
      const durationMs = this.now() - started;
      if (signal?.aborted) {
        return this.cancelled(call, durationMs);
      }
      const capped = capText(resultToText(result), this.maxResultChars);
      const isError = result.isError === true;
      const message = wrapUntrusted(isError ? `The tool ${label} reported an error.` : `Result of the tool ${label}.`, capped.text);
      return this.finishCall(call, isError ? 'error' : 'ok', {
        durationMs, resultChars: capped.totalChars, truncated: capped.truncated, message,
        ...(isError ? { detail: capped.text.slice(0, 500) } : {})
      });
    } catch (e) {
      const durationMs = this.now() - started;
      if (signal?.aborted) {
        return this.cancelled(call, durationMs);
      }
      const error = asError(e);
      this.log.warn(`${label} failed: ${error.message}`);
      // The error text can carry the server's words, so it is fenced like a result.
      const capped = capText(error.message, 2000);
      return this.finishCall(call, 'error', {
        durationMs, detail: capped.text,
        message: wrapUntrusted(`The call to ${label} failed; it may or may not have had an effect.`, capped.text)
      });
    }
  }

  private cancelled(call: ToolCallInfo, durationMs = 0): string {
    return this.finishCall(call, 'cancelled', { durationMs, message: 'The call was cancelled by the user.' });
  }

  private finishCall(call: ToolCallInfo, outcome: ToolOutcome, r: { message: string; durationMs?: number; resultChars?: number; truncated?: boolean; detail?: string }): string {
    const summary: ToolCallSummary = {
      ...call, outcome,
      durationMs: Math.round(r.durationMs ?? 0),
      resultChars: r.resultChars ?? 0,
      truncated: r.truncated ?? false,
      ...(r.detail !== undefined ? { detail: r.detail } : {})
    };
    this.calls.push(summary);
    this.log.info(`${call.server || '?'}/${call.tool}: ${outcome}${summary.durationMs ? ` in ${summary.durationMs} ms` : ''}`);
    this.emit({ type: 'toolCallFinished', call: summary });
    return r.message;
  }

  private finish(stop: ToolLoopStop, extra: { error?: Error; finalMessage?: string } = {}): ToolLoopResult {
    if (stop === 'error' && extra.error) {
      this.log.warn(`turn failed: ${extra.error.message}`);
    }
    return {
      stop,
      text: this.text,
      rounds: this.rounds,
      toolCalls: this.calls,
      toolsOffered: this.catalog?.entries.length ?? 0,
      toolsTotal: this.catalog?.total ?? 0,
      collisions: this.catalog?.collisions ?? [],
      model: this.o.model.label,
      ...extra
    };
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new SecureMcpError(String(e));
}
