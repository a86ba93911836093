import type { ApprovalGate } from '../approval/gate';
import { asError } from '../errors';
import { LlmCancelledError } from '../llm/errors';
import type { ChatModel, LlmResponse, LlmRetryInfo } from '../llm/types';
import { scoped, type Logger } from '../log';
import type { HistoryTurn, PastToolCall } from './history';
import { maskedSession } from './masking';
import { ToolCallRunner, type ToolCallEvent, type ToolCallSummary, type ToolServer } from './toolCalls';
import type { LookalikeGroup, NameCollision, ToolCatalog } from './tools';
import { prepareTurn, type PreparedTurn } from './turn';
import { ArgumentValidator } from './validation';

/**
 * Everything the chat view may show, in order. Text from the model and from servers
 * arrives raw: the caller renders it as untrusted Markdown or plain text.
 */
export type ToolLoopEvent =
  | { readonly type: 'tools'; readonly offered: number; readonly total: number; readonly collisions: readonly NameCollision[]; readonly lookalikes: readonly LookalikeGroup[] }
  | { readonly type: 'round'; readonly round: number; readonly maxRounds: number }
  | { readonly type: 'text'; readonly delta: string }
  | { readonly type: 'llmRetry'; readonly info: LlmRetryInfo }
  | ToolCallEvent;

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
  readonly lookalikes: readonly LookalikeGroup[];
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
  private readonly emit: (event: ToolLoopEvent) => void;
  private readonly calls: ToolCallRunner;
  /** `options.servers`, each session masked: every text of theirs the turn sees has passed their redactor. */
  private readonly servers: readonly ToolServer[];
  private text = '';
  private rounds = 0;
  private catalog: ToolCatalog | undefined;

  constructor(private readonly o: ToolLoopOptions) {
    this.log = scoped(o.logger, 'chat');
    this.maxRounds = Math.max(1, o.maxRounds ?? DEFAULT_MAX_ROUNDS);
    const sink = o.onEvent;
    this.emit = event => {
      try {
        sink?.(event);
      } catch (e) {
        // A rendering bug must not leave approved calls half-done.
        this.log.error(`event handler failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    this.servers = o.servers.map(s => ({ ...s, session: maskedSession(s.session, s.redact) }));
    this.calls = new ToolCallRunner({
      servers: this.servers,
      gate: o.gate,
      ...(o.signal ? { signal: o.signal } : {}),
      validator: o.validator ?? new ArgumentValidator(),
      log: this.log,
      maxResultChars: Math.max(100, o.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS),
      now: o.now ?? (() => performance.now()),
      newCallId: o.newCallId ?? (() => globalThis.crypto.randomUUID()),
      emit: this.emit
    });
  }

  async run(): Promise<ToolLoopResult> {
    const signal = this.o.signal;
    let prepared: PreparedTurn;
    try {
      const listed = await Promise.all(this.servers.map(async s => ({ name: s.name, tools: await s.session.listTools(signal) })));
      prepared = prepareTurn(this.o.model, listed, this.o.prompt, this.o.history ?? [], this.o.maxHistoryChars);
    } catch (e) {
      return signal?.aborted ? this.finish('cancelled') : this.finish('error', { error: asError(e) });
    }
    const { catalog, specs, messages } = prepared;
    this.catalog = catalog;
    this.emit({ type: 'tools', offered: catalog.entries.length, total: catalog.total, collisions: catalog.collisions, lookalikes: catalog.lookalikes });
    if (catalog.collisions.length) {
      this.log.warn(`tool names that collide after sanitising: ${catalog.collisions.map(c => `${c.exposedName} ← ${c.tools.join(', ')}`).join('; ')}`);
    }
    if (catalog.lookalikes.length) {
      // Non-ASCII escaped: the confusable or invisible character is what the reader must see.
      const shown = (key: string) => key.replace(/[^\x20-\x7e]/gu, c => `\\u{${c.codePointAt(0)!.toString(16)}}`);
      this.log.warn(`tool names alike across servers: ${catalog.lookalikes.map(g => `${g.kind}: ${g.tools.map(shown).join(', ')}`).join('; ')}`);
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
      const toolMessages = await this.calls.run(catalog, response.toolCalls, round);
      messages.push(...toolMessages);
      if (signal?.aborted) {
        return this.finish('cancelled');
      }
    }
  }

  private finish(stop: ToolLoopStop, extra: { error?: Error; finalMessage?: string } = {}): ToolLoopResult {
    if (stop === 'error' && extra.error) {
      this.log.warn(`turn failed: ${extra.error.message}`);
    }
    return {
      stop,
      text: this.text,
      rounds: this.rounds,
      toolCalls: this.calls.summaries,
      toolsOffered: this.catalog?.entries.length ?? 0,
      toolsTotal: this.catalog?.total ?? 0,
      collisions: this.catalog?.collisions ?? [],
      lookalikes: this.catalog?.lookalikes ?? [],
      model: this.o.model.label,
      ...extra
    };
  }
}
