/**
 * The one HTML page every Secure MCP webview gets. It carries no server data: that
 * arrives by postMessage and is rendered with textContent. The CSP allows only our
 * bundled script (by nonce) and stylesheet (by webview source), nothing remote.
 */
export interface WebviewPageOptions {
  readonly nonce: string;
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly title: string;
  /** `data-*` attributes for `<body>`, e.g. the test-hook marker (values are escaped). */
  readonly bodyAttributes?: Readonly<Record<string, string>>;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'"
  ].join('; ');
}

const ATTR_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;', "'": '&#39;' };

function attr(value: string): string {
  return value.replace(/[&"<>']/g, c => ATTR_ESCAPES[c]);
}

function bodyAttributes(attributes: Readonly<Record<string, string>>): string {
  return Object.entries(attributes).map(([name, value]) => {
    if (!/^data-[a-z0-9-]+$/.test(name)) {
      throw new Error(`only data-* attributes go on the body: ${name.slice(0, 40)}`);
    }
    return ` ${name}="${attr(value)}"`;
  }).join('');
}

export function webviewPage(o: WebviewPageOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) {
    throw new Error('a webview nonce must be at least 16 base64 characters');
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.styleUri)}" nonce="${attr(o.nonce)}">
<title>${attr(o.title)}</title>
</head>
<body${bodyAttributes(o.bodyAttributes ?? {})}>
<main id="root" aria-live="polite"></main>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>`;
}
