/**
 * The test-hook protocol between a panel host and its page: commands an integration test
 * sends to the page, and the page's report on its own DOM. Only referenced from code
 * behind `SECURE_MCP_TEST_BUILD`, so the production bundles leave this module out.
 */
import { hasExactKeys, isRecord } from './approval/messages';

/** Marks a page rendered for a test; without it the page ignores test commands. */
export const TEST_HOOKS_ATTRIBUTES: Readonly<Record<string, string>> = { 'data-test-hooks': 'true' };

export type TestCommand =
  | { readonly op: 'click'; readonly target: string }
  | { readonly op: 'probe' }
  | { readonly op: 'key'; readonly key: string }
  /** Elicitation forms only: sets a field the way typing would. */
  | { readonly op: 'fill'; readonly name: string; readonly value: string | boolean | readonly string[] };

/** What the webview reports about its own DOM when probed by a test. */
export interface ProbeReport {
  readonly text: string;
  /** What is rendered, as a person sees it (collapsed sections excluded). */
  readonly visibleText: string;
  readonly html: string;
  readonly activeElementId: string;
  readonly pwned: boolean;
  readonly counts: { readonly img: number; readonly script: number; readonly iframe: number; readonly a: number; readonly inlineHandlers: number };
  readonly scrollWidth: number;
  readonly clientWidth: number;
}

export function parseProbeReport(v: unknown): ProbeReport | undefined {
  if (!isRecord(v) || typeof v.text !== 'string' || typeof v.visibleText !== 'string' || typeof v.html !== 'string' || typeof v.activeElementId !== 'string' || typeof v.pwned !== 'boolean'
    || typeof v.scrollWidth !== 'number' || typeof v.clientWidth !== 'number' || !isRecord(v.counts)) {
    return undefined;
  }
  const c = v.counts;
  for (const k of ['img', 'script', 'iframe', 'a', 'inlineHandlers']) {
    if (typeof c[k] !== 'number') {
      return undefined;
    }
  }
  return v as unknown as ProbeReport;
}

/** A page's `{ type: 'testReport', report }` answer to a test command; undefined for anything else. */
export function parseTestReport(raw: unknown): ProbeReport | undefined {
  return isRecord(raw) && raw.type === 'testReport' && hasExactKeys(raw, ['type', 'report']) ? parseProbeReport(raw.report) : undefined;
}
