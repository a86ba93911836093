/**
 * The fault queue: tests push faults, each request takes the first one that matches it, in
 * order. A fault answers with an Entra error (`AADSTS700082`...), a bare HTTP status (503), a
 * hang (no answer until the emulator closes), or a delay before the normal answer.
 */
import type { AadstsCode } from './errors';

export type Endpoint =
  | 'authorize' | 'token' | 'devicecode' | 'keys' | 'openid-configuration' | 'instance-discovery' | 'redirect'
  | 'devicelogin' | 'deviceauth';

export interface Fault {
  /** Which endpoint it hits; `any` matches every endpoint. */
  on: Endpoint | 'any';
  /** For `token`: only this grant type (`refresh_token`, `authorization_code`, `urn:ietf:params:oauth:grant-type:device_code`...). */
  grant?: string;
  /** Answer with this Entra error (its own status and body; on `authorize`, an `error=` redirect). */
  error?: AadstsCode;
  /** Answer with this bare HTTP status and a short text body (e.g. 503). */
  status?: number;
  /** Never answer: the request stays open until the client gives up or the emulator closes. */
  hang?: boolean;
  /** Wait this long, then answer normally (or with `error`/`status` if also set). */
  delayMs?: number;
}

export class FaultQueue {
  private readonly queue: Fault[] = [];
  /** Faults consumed so far, in order. */
  readonly consumed: Fault[] = [];

  push(...faults: Fault[]): void {
    for (const fault of faults) {
      const actions = [fault.error !== undefined, fault.status !== undefined, fault.hang === true].filter(Boolean).length;
      if (actions > 1 || (actions === 0 && fault.delayMs === undefined)) {
        throw new Error('a fault needs exactly one of error, status or hang (or only delayMs)');
      }
      this.queue.push(fault);
    }
  }

  get pending(): readonly Fault[] {
    return this.queue;
  }

  clear(): void {
    this.queue.length = 0;
  }

  /** Removes and returns the first fault matching this request, if any. */
  take(endpoint: Endpoint, grant: string | undefined): Fault | undefined {
    const index = this.queue.findIndex((f) => (f.on === 'any' || f.on === endpoint) && (f.grant === undefined || f.grant === grant));
    if (index < 0) {
      return undefined;
    }
    const [fault] = this.queue.splice(index, 1);
    this.consumed.push(fault!);
    return fault;
  }
}
