/**
 * URL-mode elicitation: what the user must see before a server sends them to a web
 * page (docs/security.md D6). Only the analysis lives here; opening happens in the VS Code
 * layer after the user agreed.
 */

export type UrlWarning =
  | { readonly code: 'punycode'; readonly message: string }
  | { readonly code: 'domain-mismatch'; readonly message: string; readonly serverDomain: string }
  | { readonly code: 'insecure'; readonly message: string }
  | { readonly code: 'ip-address'; readonly message: string };

export type UrlAnalysis =
  | {
    readonly ok: true;
    /** The URL as it will be opened (normalized, punycode host). */
    readonly href: string;
    readonly host: string;
    /** The registrable-ish domain, e.g. `example.co.uk` for `login.example.co.uk`. */
    readonly domain: string;
    /** `href` split so the domain can be highlighted in place. */
    readonly parts: { readonly before: string; readonly domain: string; readonly after: string };
    readonly warnings: readonly UrlWarning[];
  }
  | { readonly ok: false; readonly reason: string };

const MAX_URL_LENGTH = 8192;

// Not the Public Suffix List (too big to ship for this); the common second-level
// suffixes under country codes are enough to highlight the part a phisher must own.
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'or', 'ne', 'go', 'gv', 'mil', 'nic', 'ltd', 'plc', 'sch', 'nhs', 'police', 'gob', 'gouv', 'nom', 'int', 'res', 'asso', 'biz', 'info']);

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[');
}

export function registrableDomain(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (isIp(h)) {
    return h;
  }
  const labels = h.split('.');
  if (labels.length <= 2) {
    return h;
  }
  const tld = labels[labels.length - 1];
  const second = labels[labels.length - 2];
  const take = tld.length === 2 && SECOND_LEVEL.has(second) ? 3 : 2;
  return labels.slice(-take).join('.');
}

export function analyzeElicitationUrl(value: unknown, serverUrl: string): UrlAnalysis {
  if (typeof value !== 'string' || !value.trim()) {
    return { ok: false, reason: 'The server sent no URL.' };
  }
  if (value.length > MAX_URL_LENGTH) {
    return { ok: false, reason: `The URL is longer than ${MAX_URL_LENGTH} characters.` };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'The server sent something that is not a valid URL.' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, reason: `Only http and https links can be opened, not ${url.protocol}` };
  }
  if (url.username || url.password) {
    return { ok: false, reason: 'The URL contains a user name or password, which is a common way to disguise the real site.' };
  }
  const host = url.hostname.toLowerCase();
  const domain = registrableDomain(host);
  const href = url.href;
  const warnings: UrlWarning[] = [];
  if (host.split('.').some(label => label.startsWith('xn--'))) {
    warnings.push({ code: 'punycode', message: 'The address contains internationalized (punycode "xn--") labels; it may imitate a familiar site with look-alike letters.' });
  }
  if (isIp(host)) {
    warnings.push({ code: 'ip-address', message: 'The address is a bare IP address, not a domain name.' });
  }
  if (url.protocol === 'http:') {
    warnings.push({ code: 'insecure', message: 'The page is not encrypted (http, not https).' });
  }
  let serverDomain: string | undefined;
  try {
    serverDomain = registrableDomain(new URL(serverUrl).hostname);
  } catch {
    serverDomain = undefined;
  }
  if (serverDomain !== undefined && serverDomain !== domain) {
    warnings.push({ code: 'domain-mismatch', serverDomain, message: `The page is on ${domain}, not on the MCP server's domain ${serverDomain}.` });
  }
  const origin = `${url.protocol}//`;
  const hostStart = href.indexOf(host, origin.length);
  const domainStart = hostStart + host.length - domain.length;
  const parts = hostStart >= 0
    ? { before: href.slice(0, domainStart), domain: href.slice(domainStart, hostStart + host.length), after: href.slice(hostStart + host.length) }
    : { before: href, domain: '', after: '' };
  return { ok: true, href, host, domain, parts, warnings };
}
