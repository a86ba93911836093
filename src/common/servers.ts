/**
 * One server among several (docs/servers.md): its slot, its view of the settings, and the
 * settings problems that stop its connection. Pure.
 */
import type { SettingProblem } from './errors';
import type { ReadSettingsResult, ServerSettings, Settings } from './settings';

/**
 * The settings problems that stop one server's connection: its own, and the shared ones
 * (timeouts, limits, approvals). The language model's settings (secureMcp.llm.*) do not:
 * the chat reports them when it needs a model, and the tools, /call and sign-in keep
 * working meanwhile. Another server's problems, and entries of secureMcp.servers that could
 * not be read at all, stop only themselves. The single-server slot also stops for the
 * single-server settings (secureMcp.serverUrl, secureMcp.auth.*, secureMcp.protocol.*).
 */
export function connectionProblems(r: ReadSettingsResult, server: ServerSettings | undefined): readonly SettingProblem[] {
  const single = !server || server.source === 'secureMcp';
  return r.problems.filter(p => {
    if (p.key.startsWith('secureMcp.llm.')) {
      return false;
    }
    if (p.server !== undefined) {
      return p.server === server?.name;
    }
    if (p.key.startsWith('secureMcp.servers')) {
      return false;
    }
    return single || !/^secureMcp\.(serverUrl|auth\.|protocol\.)/.test(p.key);
  });
}

/** The server of a slot: '' is the single-server settings' server. */
export function serverOf(s: Settings, slot: string): ServerSettings | undefined {
  return s.servers.find(x => slot ? x.source !== 'secureMcp' && x.name === slot : x.source === 'secureMcp');
}

/**
 * The settings as one server sees them: its URL, sign-in and protocol in place of the
 * single-server settings'; everything else (timeouts, limits, approvals) is shared.
 */
export function serverView(s: Settings, server: ServerSettings): Settings {
  return { ...s, serverUrl: server.url, auth: server.auth, protocol: { version: server.protocol } };
}
