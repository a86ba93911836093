import * as vscode from 'vscode';
import { readSettings, type ReadSettingsResult } from '../common/settings';
import { scoped, type Logger } from '../common/log';
import type { PolicyBlockedError } from '../common/errors';
import {
  checkMcpPolicy, MCP_ACCESS_SETTING, MCP_ALLOWED_SETTING, MCP_DENIED_SETTING, MCP_MANAGED_ONLY_SETTING, MCP_POLICY_SETTINGS, policyBlockedError,
  type InspectedSetting, type McpPolicyDecision, type McpPolicyInput
} from '../common/mcpPolicy';

export const SECTION = 'secureMcp';

/**
 * Reads the settings once per change and tells listeners; the only reader of `secureMcp.*`,
 * and of the `chat.mcp.*` settings by which VS Code governs MCP servers (a change to
 * those fires the same event, so the connection re-evaluates the policy).
 */
export class SettingsService implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ReadSettingsResult>();
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private result: ReadSettingsResult;
  private policy: McpPolicyInput;
  /** Test builds: an administrator's policy the test stands in for (see `simulatePolicy`). */
  private simulated: McpPolicyInput | undefined;
  private readonly log: Logger;

  readonly onDidChange = this.emitter.event;

  constructor(logger: Logger) {
    this.log = scoped(logger, 'settings');
    this.result = this.read();
    this.policy = readMcpPolicy();
    this.disposables.push(vscode.workspace.onDidChangeConfiguration(e => {
      const ours = e.affectsConfiguration(SECTION);
      const policy = MCP_POLICY_SETTINGS.some(key => e.affectsConfiguration(key));
      if (ours) {
        this.result = this.read();
      }
      if (policy) {
        this.policy = this.simulated ?? readMcpPolicy();
        this.log.info(`MCP policy changed: ${this.describePolicy()}`);
      }
      if (ours || policy) {
        this.emitter.fire(this.result);
      }
    }));
  }

  /**
   * Test builds only (the production bundle drops it): the `chat.mcp.*` values VS Code
   * reports when an administrator's OS policy sets them, which code-server cannot load (it
   * reads no policy file), so integration tests stand in for the policy. Applied as a
   * policy change is: at once, with the change event; `undefined` goes back to the settings.
   */
  simulatePolicy(input: McpPolicyInput | undefined): void {
    if (!SECURE_MCP_TEST_BUILD) {
      throw new Error('simulatePolicy exists only in test builds');
    }
    this.simulated = input;
    this.policy = input ?? readMcpPolicy();
    this.log.info(`MCP policy changed (simulated by a test): ${this.describePolicy()}`);
    this.emitter.fire(this.result);
  }

  get current(): ReadSettingsResult {
    return this.result;
  }

  /** The `chat.mcp.*` settings as last read. */
  get mcpPolicy(): McpPolicyInput {
    return this.policy;
  }

  /** Whether the organisation's MCP policy lets Secure MCP contact `serverUrl` (docs/security.md E10). */
  policyFor(serverUrl: string): McpPolicyDecision {
    return checkMcpPolicy(this.policy, serverUrl);
  }

  /** The error that stops any contact with `serverUrl`, or undefined when the policy allows it. */
  blockedBy(serverUrl: string): PolicyBlockedError | undefined {
    const decision = this.policyFor(serverUrl);
    return decision.allowed ? undefined : policyBlockedError(decision, serverUrl, vscode.l10n);
  }

  private describePolicy(): string {
    const servers = this.result.settings.servers;
    if (!servers.length) {
      return 'no server is configured';
    }
    return servers.map(({ name, url }) => {
      const d = this.policyFor(url);
      return d.allowed ? `${name} (${url}) is allowed` : `${name} (${url}) is blocked by ${d.setting} (${d.rule}${d.managed ? ', set by policy' : ''})`;
    }).join('; ');
  }

  private read(): ReadSettingsResult {
    const config = vscode.workspace.getConfiguration(SECTION);
    const result = readSettings(key => config.get(key));
    for (const p of result.problems) {
      this.log.warn(`${p.key} ${p.message}`);
    }
    return result;
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

function readMcpPolicy(): McpPolicyInput {
  const denied = inspectSetting(MCP_DENIED_SETTING);
  return {
    access: inspectSetting(MCP_ACCESS_SETTING),
    allowed: inspectSetting(MCP_ALLOWED_SETTING),
    denied: { ...denied, everyLevel: denied.levels },
    managedOnly: inspectSetting(MCP_MANAGED_ONLY_SETTING)
  };
}

/**
 * One setting's effective value and, where it shows, the administrator's. The extension
 * API's `inspect()` has no policy level (VS Code's internal one has `policyValue`): a value
 * that no level `inspect()` shows holds came from a hidden level, which for these settings
 * is an administrator's policy.
 */
function inspectSetting(key: string): InspectedSetting & { readonly levels: readonly unknown[] } {
  const dot = key.lastIndexOf('.');
  const config = vscode.workspace.getConfiguration(key.slice(0, dot));
  const name = key.slice(dot + 1);
  const value = config.get<unknown>(name);
  const i = config.inspect<unknown>(name);
  const levels = [i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue];
  const visible = [...levels].reverse().find(v => v !== undefined) ?? i?.defaultValue;
  const fromPolicy = value !== undefined && JSON.stringify(value) !== JSON.stringify(visible);
  return { value, ...(fromPolicy ? { policyValue: value } : {}), levels: [...levels, value] };
}
