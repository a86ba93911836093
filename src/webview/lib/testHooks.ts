/**
 * The page side of the test hooks. Only referenced behind `SECURE_MCP_TEST_BUILD`, so the
 * production bundles leave this module out.
 */
import { TEST_HOOKS_ATTRIBUTES, type ProbeReport } from '../../common/testHooks';
import type { WebviewApi } from './vscodeApi';

/** True when the host rendered this page for a test (it set the test-hook attributes). */
function isTestPage(): boolean {
  return Object.entries(TEST_HOOKS_ATTRIBUTES).every(([name, value]) => document.body.getAttribute(name) === value);
}

/** What the page looks like to a test: counts that prove nothing untrusted became markup. */
function probe(): ProbeReport {
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
  if (msg.type !== 'test' || !isTestPage()) {
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
