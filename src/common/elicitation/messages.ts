/**
 * The elicitation webview's protocol. Like the approval protocol, free of Node and
 * VS Code imports so the webview bundle can share it.
 */
import { hasExactKeys, isCallId } from '../approval/messages';
import type { FormField, FormValues } from './form';
import type { UrlWarning } from './url';

export interface ElicitationStrings {
  readonly heading: string;
  readonly server: string;
  readonly messageClaim: string;
  readonly required: string;
  readonly accept: string;
  readonly decline: string;
  readonly cancel: string;
  readonly openUrl: string;
  readonly urlIntro: string;
  readonly domain: string;
  readonly fixErrors: string;
  readonly invisibleWarning: string;
  readonly decided: string;
}

export type ElicitationView = {
  readonly requestId: string;
  readonly serverUrl: string;
  readonly serverLabel: string;
  readonly message: string;
  readonly strings: ElicitationStrings;
} & (
  | { readonly mode: 'form'; readonly fields: readonly FormField[]; readonly values: Readonly<Record<string, string | boolean | readonly string[]>> }
  | { readonly mode: 'url'; readonly href: string; readonly domain: string; readonly parts: { readonly before: string; readonly domain: string; readonly after: string }; readonly warnings: readonly UrlWarning[] }
);

export type ElicitationHostMessage =
  | { readonly type: 'show'; readonly view: ElicitationView }
  | { readonly type: 'errors'; readonly requestId: string; readonly errors: Readonly<Record<string, string>> }
  | { readonly type: 'decided' };

export type ElicitationAction = 'accept' | 'decline' | 'cancel';

export type ElicitationWebviewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'submit'; readonly requestId: string; readonly action: ElicitationAction; readonly values?: FormValues };

const MAX_VALUE_LENGTH = 100_000;

function parseValues(v: unknown): FormValues | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return undefined;
  }
  const out: Record<string, string | boolean | string[]> = Object.create(null) as Record<string, string | boolean | string[]>;
  const entries = Object.entries(v);
  if (entries.length > 100) {
    return undefined;
  }
  for (const [k, value] of entries) {
    if (typeof value === 'boolean' || (typeof value === 'string' && value.length <= MAX_VALUE_LENGTH)) {
      out[k] = value;
    } else if (Array.isArray(value) && value.length <= 500 && value.every(x => typeof x === 'string' && x.length <= MAX_VALUE_LENGTH)) {
      out[k] = value as string[];
    } else {
      return undefined;
    }
  }
  return { ...out };
}

export function parseElicitationMessage(raw: unknown): ElicitationWebviewMessage | undefined {
  if (typeof raw !== 'object' || raw === null) {
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  switch (r.type) {
    case 'ready':
      return hasExactKeys(r, ['type']) ? { type: 'ready' } : undefined;
    case 'submit': {
      const action = r.action;
      if (!isCallId(r.requestId) || (action !== 'accept' && action !== 'decline' && action !== 'cancel')) {
        return undefined;
      }
      if (hasExactKeys(r, ['type', 'requestId', 'action'])) {
        return { type: 'submit', requestId: r.requestId, action };
      }
      if (hasExactKeys(r, ['type', 'requestId', 'action', 'values']) && action === 'accept') {
        const values = parseValues(r.values);
        return values ? { type: 'submit', requestId: r.requestId, action, values } : undefined;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
