import { ProtocolError as McpProtocolError, ProtocolErrorCode, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/client';
import { DeclinedByUserError, ProtocolError } from '../../common/errors';
import type { Logger } from '../../common/log';

/** Answers a server's elicitation (form or URL mode): the webview form in the product. */
export type ElicitationHandler = (request: ElicitRequest['params'], signal: AbortSignal) => Promise<ElicitResult>;

/** -32042: the server needs a step in the browser before the request can run. */
export function isUrlElicitationRequired(e: unknown): e is McpProtocolError {
  return e instanceof McpProtocolError && e.code === ProtocolErrorCode.UrlElicitationRequired;
}

interface UrlElicitation {
  readonly mode: 'url';
  readonly message: string;
  readonly url: string;
  readonly elicitationId: string;
}

function isUrlElicitation(v: unknown): v is UrlElicitation {
  const e = v as Partial<UrlElicitation> | null;
  return typeof e === 'object' && e !== null && e.mode === 'url' && typeof e.message === 'string' && typeof e.url === 'string' && typeof e.elicitationId === 'string';
}

/**
 * The browser steps a -32042 error asks for. Each is shown through the same handler as a
 * server's elicitation request (consent first, the full URL shown); then the server's
 * notifications/elicitation/complete is awaited. Servers need not send it
 * (server-everything does not), so after `waitMs` the caller simply tries again.
 */
export class UrlElicitationSteps {
  /** Waiters for notifications/elicitation/complete, by elicitation id. */
  private readonly waiting = new Map<string, () => void>();

  constructor(private readonly handler: ElicitationHandler | undefined, private readonly waitMs: number, private readonly log: Logger) {}

  /** The server's notifications/elicitation/complete for `elicitationId`. */
  completed(elicitationId: string): void {
    this.waiting.get(elicitationId)?.();
  }

  /** Shows every step `data` (the -32042 error's data) names and waits for each. */
  async run(tool: string, data: unknown, signal?: AbortSignal): Promise<void> {
    const list = (data as { elicitations?: unknown } | undefined)?.elicitations;
    const elicitations = Array.isArray(list) ? list.filter(isUrlElicitation) : [];
    if (!elicitations.length || !this.handler) {
      throw new ProtocolError(`The MCP server needs a step in the browser before ${tool} can run (URL elicitation), and ${elicitations.length ? 'this session cannot show it' : 'it did not say which page'}.`);
    }
    for (const elicitation of elicitations) {
      const completed = this.completion(elicitation.elicitationId, signal);
      try {
        const answer = await this.handler({ ...elicitation }, signal ?? new AbortController().signal);
        if (answer.action !== 'accept') {
          throw new DeclinedByUserError(`The server's page for ${tool} was not opened (${answer.action}), so the tool was not called again.`);
        }
        await completed.promise;
      } finally {
        completed.cancel();
      }
    }
  }

  /** Resolves on the server's notification for this id, or after `waitMs`; rejects when `signal` aborts. */
  private completion(elicitationId: string, signal?: AbortSignal): { promise: Promise<void>; cancel: () => void } {
    let cancel = () => undefined as void;
    const promise = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cancel();
        this.log.info(`no confirmation of the browser step within ${this.waitMs} ms; calling again`);
        resolve();
      }, this.waitMs);
      const onAbort = () => {
        cancel();
        reject(new DeclinedByUserError('The call was cancelled while waiting for the step in the browser.'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(elicitationId, () => {
        cancel();
        resolve();
      });
      cancel = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiting.delete(elicitationId);
      };
    });
    // Nobody may wait on it (a declined step): a rejection then is not an error.
    promise.catch(() => undefined);
    return { promise, cancel };
  }
}
