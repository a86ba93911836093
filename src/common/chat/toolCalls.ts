/**
 * The tool calls of one round: each is validated, approved through the gate and sent,
 * and its outcome goes back to the model as text and to the chat view as an event.
 */
import type { CallToolResult, Progress, Tool } from '@modelcontextprotocol/client';
import type { ApprovalDecision, ApprovalGate, CallContext } from '../approval/gate';
import { asError } from '../errors';
import type { LlmMessage, LlmToolCall } from '../llm/types';
import type { Logger } from '../log';
import type { ToolOutcome } from './history';
import { capText, resultToText, wrapUntrusted } from './results';
import type { CatalogEntry, ToolCatalog } from './tools';
import type { ArgumentValidator } from './validation';

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
  /**
   * Masks credentials in the text this server chose: the auth fetch's `redact`, which
   * knows the exact tokens it sent as well as the patterns; `mask` when there is none.
   */
  readonly redact: (text: string) => string;
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

/** The events of one tool call; see `ToolLoopEvent`. */
export type ToolCallEvent =
  /** Valid, and handed to the approval gate, which may ask the user (the panel gets `call.id`). */
  | { readonly type: 'toolCallAwaitingApproval'; readonly call: ToolCallInfo }
  /** Approved and sent to the server. */
  | { readonly type: 'toolCallStarted'; readonly call: ToolCallInfo }
  /** `message` is the server's (untrusted) progress text. */
  | { readonly type: 'toolCallProgress'; readonly call: ToolCallInfo; readonly progress: number; readonly total?: number; readonly message?: string }
  /** Every call the model asked for ends here, whether it ran or not. */
  | { readonly type: 'toolCallFinished'; readonly call: ToolCallSummary };

export interface ToolCallRunnerOptions {
  readonly servers: readonly ToolServer[];
  readonly gate: ApprovalGate;
  /** Stops waiting approvals and in-flight MCP calls. */
  readonly signal?: AbortSignal;
  readonly validator: ArgumentValidator;
  readonly log: Logger;
  /** Cap on one result's text before it reaches the model. */
  readonly maxResultChars: number;
  readonly now: () => number;
  readonly newCallId: () => string;
  /** Must not throw. */
  readonly emit: (event: ToolCallEvent) => void;
}

/** Runs the calls the model asks for, round after round, and keeps the summary of each. */
export class ToolCallRunner {
  private readonly calls: ToolCallSummary[] = [];

  constructor(private readonly o: ToolCallRunnerOptions) {}

  /** Every call so far, in the order they finished. */
  get summaries(): readonly ToolCallSummary[] {
    return this.calls;
  }

  /**
   * Validates and approves calls one at a time (one approval on screen at once) and
   * runs each approved call as soon as it is approved, so parallel calls overlap.
   * Returns one tool message per call, in the model's order.
   */
  async run(catalog: ToolCatalog, calls: readonly LlmToolCall[], round: number): Promise<LlmMessage[]> {
    const signal = this.o.signal;
    const contents: Promise<string>[] = [];
    for (const call of calls) {
      const entry = catalog.byExposedName.get(call.name);
      const server = entry ? this.o.servers.find(s => s.name === entry.server) : undefined;
      const info = (args: Record<string, unknown> | undefined): ToolCallInfo => ({
        id: this.o.newCallId(),
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
      const check = this.o.validator.check(entry.tool, call.arguments);
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
      this.o.emit({ type: 'toolCallAwaitingApproval', call: callInfo });
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
      this.o.log.error(`approval failed for ${entry.server}/${entry.tool.name}: ${asError(e).message}`);
      return { kind: 'declined', how: 'closed', reason: 'the approval could not be shown' };
    }
  }

  private async send(server: ToolServer, entry: CatalogEntry, call: ToolCallInfo): Promise<string> {
    const signal = this.o.signal;
    const label = `${entry.server}/${entry.tool.name}`;
    this.o.emit({ type: 'toolCallStarted', call });
    const started = this.o.now();
    try {
      const result = await server.session.callTool(entry.tool.name, call.args ?? {}, {
        ...(signal ? { signal } : {}),
        onProgress: p => this.o.emit({
          type: 'toolCallProgress', call, progress: p.progress,
          ...(p.total !== undefined ? { total: p.total } : {}),
          ...(p.message !== undefined ? { message: p.message } : {})
        })
      });
      const durationMs = this.o.now() - started;
      if (signal?.aborted) {
        return this.cancelled(call, durationMs);
      }
      const capped = capText(resultToText(result), this.o.maxResultChars);
      const isError = result.isError === true;
      const message = wrapUntrusted(isError ? `The tool ${label} reported an error.` : `Result of the tool ${label}.`, capped.text);
      return this.finishCall(call, isError ? 'error' : 'ok', {
        durationMs, resultChars: capped.totalChars, truncated: capped.truncated, message,
        ...(isError ? { detail: capped.text.slice(0, 500) } : {})
      });
    } catch (e) {
      const durationMs = this.o.now() - started;
      if (signal?.aborted) {
        return this.cancelled(call, durationMs);
      }
      const error = asError(e);
      this.o.log.warn(`${label} failed: ${error.message}`);
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
    this.o.log.info(`${call.server || '?'}/${call.tool}: ${outcome}${summary.durationMs ? ` in ${summary.durationMs} ms` : ''}`);
    this.o.emit({ type: 'toolCallFinished', call: summary });
    return r.message;
  }
}
