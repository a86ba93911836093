import { explainAadsts, VSCODE_CLIENT_ID } from './auth/aadsts';
import type { TokenClaims } from './auth/claims';
import { describeState, type ConnectionState } from './connectionState';
import type { SettingProblem } from './errors';
import { plainL10n } from './l10n';
import type { DiscoveryResult, Finding } from './discovery/result';
import { isEntraProvider, missingRequiredScopes, scopeApi, type Settings } from './settings';

export { explainAadsts, VSCODE_CLIENT_ID } from './auth/aadsts';

/** What "Diagnose" gathered; every part is optional because each step can fail. */
export interface DiagnoseInput {
  readonly settings: Settings;
  readonly problems: readonly SettingProblem[];
  readonly discovery?: DiscoveryResult;
  readonly token?: {
    readonly acquired: boolean;
    readonly account?: string;
    readonly claims?: TokenClaims;
    /** An error the provider or the server reported, e.g. one carrying an AADSTS code. */
    readonly error?: string;
  };
  /** The connection's state after trying to connect: the status bar shows the same. */
  readonly state?: ConnectionState;
  /** Epoch milliseconds, injected so reports are testable. */
  readonly now: number;
  /**
   * The server diagnosed, when it is an entry of `secureMcp.servers`: its name, and where
   * its settings are (`secureMcp.servers[1]`), so findings and rows name its keys.
   */
  readonly server?: { readonly name: string; readonly source: string };
}

/**
 * A text about the single-server settings' keys, about the entry's keys instead:
 * `secureMcp.auth.scopes` → `secureMcp.servers[1].auth.scopes`, `secureMcp.serverUrl` → `….url`.
 */
export function forEntry(text: string, server: DiagnoseInput['server']): string {
  if (!server || server.source === 'secureMcp') {
    return text;
  }
  return text.replace(/secureMcp\.serverUrl/g, `${server.source}.url`).replace(/secureMcp\.protocol\.version/g, `${server.source}.protocol`).replace(/secureMcp\.auth\./g, `${server.source}.auth.`);
}

/** The scope's resource part and name: `api://x/mcp:tools` → ['api://x', 'mcp:tools']. */
function splitScope(scope: string): [string, string] {
  const api = scopeApi(scope);
  return [api.slice(0, -1), scope.slice(api.length)];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks everything gathered against what the server expects; every finding says how to fix it. */
export function diagnose(input: DiagnoseInput): Finding[] {
  return findingsOf(input).map(f => ({ ...f, message: forEntry(f.message, input.server), ...(f.fix ? { fix: forEntry(f.fix, input.server) } : {}) }));
}

function findingsOf(input: DiagnoseInput): Finding[] {
  const out: Finding[] = [];
  const s = input.settings;
  for (const p of input.problems) {
    out.push({ level: 'error', code: 'setting', message: `${p.key} ${p.message}.`, fix: `Correct ${p.key} in the settings.` });
  }
  if (!s.serverUrl) {
    out.push({ level: 'error', code: 'no-server', message: 'No MCP server is configured.', fix: 'Run "Secure MCP: Configure Server…".' });
    return out;
  }
  if (missingRequiredScopes(s)) {
    out.push({ level: 'error', code: 'no-scopes', message: 'No scope is configured for the server.', fix: 'Run "Secure MCP: Configure Server…" or set secureMcp.auth.scopes to the full scope, for example api://<server-app-id>/mcp:tools.' });
  }
  out.push(...(input.discovery?.findings ?? []));

  const entraAs = input.discovery?.entra;
  if (entraAs && !isEntraProvider(s.auth.providerId)) {
    out.push({ level: 'warning', code: 'provider-not-microsoft', message: `The server uses Entra ID (tenant ${entraAs.tenant}), but secureMcp.auth.providerId is ${s.auth.providerId}.`, fix: 'Set secureMcp.auth.providerId to microsoft (or microsoft-sovereign-cloud).' });
  }
  const authorizationServer = input.discovery?.authorizationServer;
  if (authorizationServer && !entraAs && isEntraProvider(s.auth.providerId)) {
    out.push({ level: 'error', code: 'provider-not-oauth', message: `The server's authorization server (${authorizationServer}) is not Entra ID, but secureMcp.auth.providerId is ${s.auth.providerId}, which signs in only to Entra ID.`, fix: 'Set secureMcp.auth.providerId to secure-mcp-oauth, or run "Secure MCP: Configure Server…", which switches to it.' });
  }
  if (entraAs && !s.auth.tenant) {
    out.push({ level: 'info', code: 'tenant-not-set', message: `secureMcp.auth.tenant is empty, so VS Code signs in to "organizations"; the server trusts tenant ${entraAs.tenant}.`, fix: `Set secureMcp.auth.tenant to ${entraAs.tenant} if your account has several tenants.` });
  }

  const t = input.token;
  if (t?.error) {
    const explained = explainAadsts(t.error);
    if (explained.length) {
      for (const e of explained) {
        out.push({ level: 'error', code: e.code, message: `${e.code}: ${e.meaning}`, fix: e.fix });
      }
    } else {
      out.push({ level: 'error', code: 'sign-in-failed', message: `Sign-in failed: ${t.error}` });
    }
  }
  if (t && !t.acquired && !t.error) {
    out.push({ level: 'warning', code: 'not-signed-in', message: `No session from the ${s.auth.providerId} provider for ${s.auth.scopes.join(' ') || 'the configured scopes'}.`, fix: 'Run "Secure MCP: Sign In".' });
  }
  const c = t?.claims;
  if (c) {
    out.push(...checkClaims(c, input));
  }

  out.push(...stateFindings(input.state, out));
  return out;
}

/** What the connection's state adds; a cause the probe found already is not reported twice. */
function stateFindings(state: ConnectionState | undefined, found: readonly Finding[]): Finding[] {
  if (!state) {
    return [];
  }
  const detail = describeState(state, plainL10n).detail;
  switch (state.kind) {
    case 'connected':
      return [{ level: 'info', code: 'connected', message: detail }];
    case 'unreachable':
      return found.some(f => f.code === 'unreachable') ? [] : [{ level: 'error', code: 'unreachable', message: detail, fix: 'Check that the server is running and the URL is right, then reconnect.' }];
    case 'notMcp':
      return found.some(f => f.code === 'not-mcp-endpoint') ? [] : [{ level: 'error', code: 'not-mcp-endpoint', message: detail, fix: 'Check secureMcp.serverUrl: it is the MCP endpoint itself, often ending in /mcp.' }];
    case 'error':
      return [{ level: 'error', code: 'connect-failed', message: `Connecting failed: ${detail}` }];
    case 'blockedByPolicy':
      return [{
        level: 'error', code: 'blocked-by-policy', message: detail,
        fix: state.managed ? `${state.setting} is set by your organization's policy: ask your administrator.` : `Look at ${state.setting} in VS Code's settings.`
      }];
    default:
      return [];
  }
}

function checkClaims(c: TokenClaims, input: DiagnoseInput): Finding[] {
  const out: Finding[] = [];
  const s = input.settings;
  const wanted = s.auth.scopes.map(splitScope);
  const granted = (c.scp ?? '').split(/\s+/).filter(Boolean);

  if (!c.scp && c.roles?.length) {
    out.push({ level: 'error', code: 'app-only-token', message: 'The token is app-only (it has roles but no scp); MCP servers accept only delegated tokens.', fix: 'Sign in as a user; do not use client credentials.' });
  }
  for (const [, name] of wanted) {
    if (c.scp !== undefined && !granted.includes(name)) {
      out.push({ level: 'error', code: 'scope-missing', message: `The token's scp is "${c.scp}", without "${name}".`, fix: `Request the full scope (secureMcp.auth.scopes) and make sure the API exposes "${name}" as a delegated scope.` });
    }
  }
  const audiences = Array.isArray(c.aud) ? c.aud : c.aud ? [c.aud] : [];
  const expectedAud = wanted.map(([resource]) => resource).filter(Boolean).map(r => r.replace(/^api:\/\//, ''));
  if (audiences.length && expectedAud.length && !audiences.some(a => expectedAud.includes(a) || expectedAud.includes(a.replace(/^api:\/\//, '')))) {
    // A custom App ID URI cannot be mapped to the API's GUID from here, so only a GUID mismatch is certain.
    if (expectedAud.every(e => GUID.test(e))) {
      out.push({ level: 'error', code: 'audience-mismatch', message: `The token is for ${audiences.join(', ')}, not for the API in the scope (${expectedAud.join(', ')}).`, fix: 'Check secureMcp.auth.scopes: it must name the server\'s API.' });
    } else {
      out.push({ level: 'info', code: 'audience', message: `The token's audience is ${audiences.join(', ')}; the scope names ${expectedAud.join(', ')}.` });
    }
  }
  const tenant = s.auth.tenant && GUID.test(s.auth.tenant) ? s.auth.tenant : input.discovery?.entra?.tenant;
  if (c.tid && tenant && GUID.test(tenant) && c.tid.toLowerCase() !== tenant.toLowerCase()) {
    out.push({ level: 'error', code: 'tenant-mismatch-token', message: `The token is from tenant ${c.tid}, but the server expects ${tenant}.`, fix: `Set secureMcp.auth.tenant to ${tenant} and sign in again with an account of that tenant.` });
  }
  if (c.ver === '1.0' && input.discovery?.entra?.version === 'v2') {
    out.push({ level: 'warning', code: 'v1-token', message: 'The token is a v1.0 token (iss sts.windows.net), but the server expects v2.0 tokens.', fix: 'Set "accessTokenAcceptedVersion": 2 (requestedAccessTokenVersion) in the API registration\'s manifest.' });
  }
  if (c.exp !== undefined && c.exp * 1000 < input.now) {
    out.push({ level: 'warning', code: 'token-expired', message: `The token expired at ${new Date(c.exp * 1000).toISOString()}.`, fix: 'Reconnect; if it stays expired, sign out and in again.' });
  }
  const client = c.azp ?? c.appid;
  if (client === VSCODE_CLIENT_ID) {
    out.push({ level: 'info', code: 'vscode-client', message: 'Signed in through VS Code\'s own client id; the API must list it as an authorized client application.' });
  }
  return out;
}

const ICON: Record<Finding['level'], string> = { error: '❌', warning: '⚠️', info: 'ℹ️' };

/** Escapes text for a markdown table cell or list item; findings may quote server text. */
function md(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|#!]/g, ch => `\\${ch}`).replace(/\r?\n/g, ' ');
}

/** A readable report; the token itself never appears, only selected claims. */
export function renderReport(input: DiagnoseInput, findings: readonly Finding[]): string {
  const s = input.settings;
  const lines: string[] = [input.server && input.server.source !== 'secureMcp' ? `# Secure MCP diagnosis: ${md(input.server.name)}` : '# Secure MCP diagnosis', '', `_${new Date(input.now).toISOString()}_`, ''];
  const errors = findings.filter(f => f.level === 'error').length;
  const warnings = findings.filter(f => f.level === 'warning').length;
  lines.push(errors ? `**${errors} problem(s)** and ${warnings} warning(s) found.` : warnings ? `No blocking problems; ${warnings} warning(s).` : '**Everything checked out.**', '');
  if (input.state) {
    lines.push(`**Connection:** ${md(describeState(input.state, plainL10n).detail)}`, '');
  }
  lines.push('## Findings', '');
  for (const f of findings) {
    lines.push(`- ${ICON[f.level]} ${md(f.message)}${f.fix ? `  \n  **Fix:** ${md(f.fix)}` : ''}`);
  }
  lines.push('', '## Settings', '', '| Setting | Value |', '|---|---|');
  const rows: [string, string][] = [
    ['secureMcp.serverUrl', s.serverUrl || '(not set)'],
    ['secureMcp.auth.providerId', s.auth.providerId],
    ['secureMcp.auth.tenant', s.auth.tenant || '(provider default)'],
    ['secureMcp.auth.clientId', s.auth.clientId || "(VS Code's client)"],
    ['secureMcp.auth.scopes', s.auth.scopes.join(' ') || '(none)']
  ];
  for (const [k, v] of rows) {
    lines.push(`| ${forEntry(k, input.server)} | ${md(v)} |`);
  }
  const d = input.discovery;
  if (d) {
    lines.push('', '## Server', '', '| | |', '|---|---|');
    lines.push(`| Unauthenticated probe | ${d.probeStatus !== undefined ? `HTTP ${d.probeStatus}` : 'no answer'} |`);
    lines.push(`| resource_metadata | ${md(d.challenge?.resourceMetadata ?? '(not in the challenge)')} |`);
    lines.push(`| Resource | ${md(d.resourceMetadata?.resource ?? '(no metadata)')} |`);
    lines.push(`| Authorization server | ${md(d.authorizationServer ?? '(unknown)')} |`);
    lines.push(`| Scopes offered | ${md(d.resourceMetadata?.scopes_supported?.join(' ') ?? '(none listed)')} |`);
  }
  const c = input.token?.claims;
  if (input.token) {
    lines.push('', '## Token', '', '_The token itself is never shown._', '', '| Claim | Value |', '|---|---|');
    lines.push(`| account | ${md(input.token.account ?? (input.token.acquired ? '(unknown)' : '(not signed in)'))} |`);
    if (c) {
      const exp = c.exp !== undefined ? `${new Date(c.exp * 1000).toISOString()} (${Math.round((c.exp * 1000 - input.now) / 60_000)} min)` : '(none)';
      for (const [k, v] of [['aud', Array.isArray(c.aud) ? c.aud.join(' ') : c.aud], ['scp', c.scp], ['roles', c.roles?.join(' ')], ['tid', c.tid], ['ver', c.ver], ['azp', c.azp ?? c.appid], ['exp', exp]] as const) {
        lines.push(`| ${k} | ${md(v ?? '(none)')} |`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
