import { revealParts } from '../../common/approval/reveal';

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
