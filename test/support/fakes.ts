import { recordingLogger } from './logger';
import type { SecretStore } from '../../src/node/oauth';

/** SecretStorage stand-in: a map, plus what was written, for assertions. */
export class MemorySecretStore implements SecretStore {
  readonly data = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.data.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.data.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
}

export interface RecordedRequest {
  readonly url: URL;
  readonly method: string;
  readonly body: string;
}

/** A fetch that records every request (with its form body) before passing it on. */
export function recordingFetch(log: RecordedRequest[]): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const body = init?.body instanceof URLSearchParams ? init.body.toString() : typeof init?.body === 'string' ? init.body : '';
    log.push({ url, method: init?.method ?? 'GET', body });
    return fetch(input, init);
  };
}

/** One recording logger shared by the OAuth tests. */
export const testLogger = recordingLogger();
