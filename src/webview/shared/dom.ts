import { revealParts } from '../../common/approval/reveal';
import type { ProbeReport } from '../../common/approval/messages';
import type { WebviewApi } from './vscodeApi';

/**
 * DOM helpers that never parse HTML: untrusted text only ever becomes text nodes
 * (docs/security.md D3). There is deliberately no helper taking markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { className?: string; id?: string; attrs?: Record<string, string> } = {}, ...children: (Node | string | undefined)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) {
    node.className = props.className;
  }
  if (props.id) {
    node.id = props.id;
  }
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (/^on/i.test(k)) {
      throw new Error('inline event handlers are not allowed');
    }
    node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== undefined) {
      node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
  }
  return node;
}

/**
 * Untrusted text as nodes: plain runs via textContent, invisible and bidi characters
 * as visible `U+XXXX` chips so they can neither hide nor reorder anything.
 */
export function untrusted(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  for (const part of revealParts(text)) {
    if ('text' in part) {
      frag.append(document.createTextNode(part.text));
    } else {
      const chip = document.createElement('span');
      chip.className = 'codepoint';
      chip.textContent = part.codePoint;
      chip.title = 'invisible or direction-changing character';
      frag.append(chip);
    }
  }
  return frag;
}

export function untrustedEl<K extends keyof HTMLElementTagNameMap>(tag: K, text: string, className?: string): HTMLElementTagNameMap[K] {
  const node = el(tag, { className });
  node.append(untrusted(text));
  return node;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What the page looks like to a test: counts that prove nothing untrusted became markup. */
export function probe(): ProbeReport {
  const root = document.getElementById('root') ?? document.body;
  let inlineHandlers = 0;
  for (const node of Array.from(document.querySelectorAll('*'))) {
    inlineHandlers += Array.from(node.attributes).filter(a => /^on/i.test(a.name)).length;
  }
  return {
    text: root.textContent ?? '',
    visibleText: (root as HTMLElement).innerText ?? '',
    html: root.innerHTML,
    activeElementId: document.activeElement?.id ?? '',
    pwned: document.documentElement.dataset.pwned !== undefined || (window as unknown as Record<string, unknown>).pwned !== undefined,
    counts: {
      img: root.querySelectorAll('img').length,
      script: root.querySelectorAll('script').length,
      iframe: root.querySelectorAll('iframe').length,
      a: root.querySelectorAll('a').length,
      inlineHandlers
    },
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth
  };
}

/**
 * Test hooks, only when the host rendered the page for a test: lets an integration
 * test click the real buttons and read the real DOM through the message channel.
 */
export function handleTestCommand(api: WebviewApi, msg: Record<string, unknown>, fill?: (name: string, value: unknown) => void): boolean {
  if (msg.type !== 'test' || document.body.dataset.testHooks !== 'true') {
    return false;
  }
  switch (msg.op) {
    case 'click':
      if (typeof msg.target === 'string') {
        document.getElementById(msg.target)?.click();
      }
      break;
    case 'key':
      if (typeof msg.key === 'string') {
        (document.activeElement ?? document.body).dispatchEvent(new KeyboardEvent('keydown', { key: msg.key, bubbles: true }));
      }
      break;
    case 'fill':
      if (typeof msg.name === 'string' && fill) {
        fill(msg.name, msg.value);
      }
      break;
    case 'probe':
      break;
    default:
      return true;
  }
  api.postMessage({ type: 'testReport', report: probe() });
  return true;
}
