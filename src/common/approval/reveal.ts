/**
 * Characters that change how text reads without being seen: bidi controls (Trojan
 * Source), zero-width characters, and other control characters. The webviews show them
 * as visible code points so a tool description cannot hide or reorder text (D3).
 */
// eslint-disable-next-line no-control-regex, no-misleading-character-class
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;

export type RevealedPart = { readonly text: string } | { readonly codePoint: string };

function label(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Splits text into plain runs and invisible characters (as `U+XXXX` labels). */
export function revealParts(text: string): RevealedPart[] {
  const out: RevealedPart[] = [];
  let last = 0;
  for (const m of text.matchAll(INVISIBLE)) {
    const at = m.index ?? 0;
    if (at > last) {
      out.push({ text: text.slice(last, at) });
    }
    out.push({ codePoint: label(m[0]) });
    last = at + m[0].length;
  }
  if (last < text.length) {
    out.push({ text: text.slice(last) });
  }
  return out;
}

/** The same as one string, e.g. for a panel title: invisible characters become `⟨U+202E⟩`. */
export function revealString(text: string): string {
  return text.replace(INVISIBLE, ch => `\u27e8${label(ch)}\u27e9`);
}

export function hasInvisible(text: string): boolean {
  INVISIBLE.lastIndex = 0;
  const found = INVISIBLE.test(text);
  INVISIBLE.lastIndex = 0;
  return found;
}

/** At most `max` characters: a longer text is cut and ends with `…`. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
