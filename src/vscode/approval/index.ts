import * as vscode from 'vscode';
import { ApprovalPolicy, type PolicySettings } from '../../node/approval/policy';
import { MementoPinStore } from '../../common/approval/pins';
import { PolicyGate, type DecisionSink } from '../../node/approval/policyGate';
import type { ApprovalDecision, PendingToolCall } from '../../common/approval/gate';
import { AuditLog, formatAuditMarkdown } from '../../node/audit/audit';
import { describeChain, verifyAuditChain, type ChainResult } from '../../node/audit/verify';
import { scoped, type Logger } from '../../common/log';
import { ApprovalPanels } from './approvalPanels';
import { FolderAuditFiles } from './auditFiles';

/** What a command handler returns (same shape as src/vscode/commands.ts CommandResult). */
export interface ApprovalCommandResult {
  readonly done: boolean;
  readonly message: string;
  /** The buttons of the message shown, when there was one. */
  readonly actions?: readonly string[];
}

/**
 * Where "Show Audit Log" puts its markdown: a read-only document of our own, so the
 * preview can render it and closing it never asks to save.
 */
export const AUDIT_LOG_SCHEME = 'secure-mcp-audit';

export interface ApprovalServiceOptions {
  readonly context: Pick<vscode.ExtensionContext, 'extensionUri' | 'globalState' | 'globalStorageUri'>;
  readonly logger: Logger;
  /** Current `secureMcp.approval.*` settings (e.g. `() => settings.current.approval`). */
  readonly settings: () => PolicySettings & { readonly timeoutSeconds: number };
  /** `secureMcp.audit.folder`: where the audit trail goes; '' for the extension's global storage. */
  readonly auditFolder?: () => string;
  /** Told of every decision after the audit log (the walkthrough's context keys). */
  readonly onDecided?: (call: PendingToolCall, decision: ApprovalDecision) => void;
  readonly testHooks?: boolean;
}

/**
 * Everything behind the approval step, built once in activate(): pins in globalState,
 * the audit log in global storage, the approval panels, and the gate the chat loop and
 * `/call` go through. Cheap to construct: no panel opens and no file is touched until
 * the first tool call.
 */
export class ApprovalService implements vscode.Disposable {
  readonly policy: ApprovalPolicy;
  readonly panels: ApprovalPanels;
  readonly gate: PolicyGate;
  private readonly log: Logger;
  private readonly auditDocument = vscode.Uri.from({ scheme: AUDIT_LOG_SCHEME, path: '/audit-log.md' });
  private auditMarkdown = '';
  private readonly auditChanged = new vscode.EventEmitter<vscode.Uri>();
  private readonly auditProvider: vscode.Disposable;
  private auditLog: { folder: vscode.Uri; log: AuditLog } | undefined;

  private readonly options: ApprovalServiceOptions;

  constructor(options: ApprovalServiceOptions) {
    this.log = scoped(options.logger, 'approval');
    this.policy = new ApprovalPolicy(new MementoPinStore(options.context.globalState), options.settings);
    this.options = options;
    this.panels = new ApprovalPanels({ extensionUri: options.context.extensionUri, logger: options.logger, timeoutSeconds: () => options.settings().timeoutSeconds, testHooks: options.testHooks });
    const decided: DecisionSink = {
      decided: (call, decision, hash) => {
        this.audit.decided(call, decision, hash);
        options.onDecided?.(call, decision);
      }
    };
    this.gate = new PolicyGate({ policy: this.policy, ask: this.panels.ask, audit: decided, logger: options.logger, rememberAcrossSessions: () => options.settings().rememberAcrossSessions });
    this.auditProvider = vscode.workspace.registerTextDocumentContentProvider(AUDIT_LOG_SCHEME, {
      onDidChange: this.auditChanged.event,
      provideTextDocumentContent: () => this.auditMarkdown
    });
  }

  /** Where the audit trail is written now: `secureMcp.audit.folder`, else global storage. */
  private get auditFolder(): vscode.Uri {
    const folder = this.options.auditFolder?.();
    return folder ? vscode.Uri.file(folder) : this.options.context.globalStorageUri;
  }

  /**
   * The audit log of the folder configured now. A moved folder gets a log of its own,
   * which continues the chain already there (or starts one); records already written stay.
   */
  get audit(): AuditLog {
    const folder = this.auditFolder;
    if (this.auditLog?.folder.toString() !== folder.toString()) {
      if (this.auditLog) {
        void this.auditLog.log.flush();
        this.log.info(`the audit trail moves to ${folder.fsPath}`);
      }
      this.auditLog = { folder, log: new AuditLog({ files: new FolderAuditFiles(folder.fsPath), logger: this.options.logger }) };
    }
    return this.auditLog.log;
  }

  /**
   * `secureMcp.showAuditLog`: the log as a rendered markdown table (every cell a code
   * span, so server text shows as text), or as markdown source where no preview exists.
   */
  async showAuditLog(): Promise<ApprovalCommandResult> {
    const records = await this.audit.readAll();
    this.auditMarkdown = formatAuditMarkdown(records, vscode.l10n.t('Secure MCP audit log'));
    this.auditChanged.fire(this.auditDocument);
    try {
      await vscode.commands.executeCommand('markdown.showPreview', this.auditDocument);
    } catch (e) {
      // No markdown preview (the built-in extension is disabled): show the source.
      this.log.info(`markdown preview unavailable (${e instanceof Error ? e.message : String(e)}); showing the audit log as text`);
      await vscode.window.showTextDocument(this.auditDocument, { preview: true });
    }
    return { done: true, message: vscode.l10n.t('The audit log has {0} record(s).', records.length) };
  }

  /** `secureMcp.exportAuditLog`: writes the JSONL where the user chooses (or to `target`). */
  async exportAuditLog(target?: vscode.Uri): Promise<ApprovalCommandResult> {
    const uri = target ?? await vscode.window.showSaveDialog({
      saveLabel: vscode.l10n.t('Export'),
      title: vscode.l10n.t('Export the Secure MCP audit log'),
      filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0] ? vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, 'secure-mcp-audit.jsonl') : undefined
    });
    if (!uri) {
      return { done: false, message: vscode.l10n.t('Export cancelled.') };
    }
    const text = await this.audit.exportJsonl();
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    this.log.info(`audit log exported to ${uri.toString(true)}`);
    return { done: true, message: vscode.l10n.t('Audit log exported to {0}.', uri.toString(true)) };
  }

  /**
   * `secureMcp.verifyAuditLog`: checks the hash chain of the log in global storage, or of
   * `target` (an exported file), and says so: intact with its counts, or the first broken
   * line with a button that opens the file there. Either message offers to check another file.
   */
  async verifyAuditLog(target?: vscode.Uri): Promise<ApprovalCommandResult> {
    let result: ChainResult;
    let uriOf: (name: string) => vscode.Uri;
    if (target) {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
      // An export may begin mid-chain when rotation had dropped the oldest files.
      result = verifyAuditChain([{ name: target.path.split('/').pop() ?? target.path, text }], { mayContinue: true });
      uriOf = () => target;
    } else {
      const folder = this.auditFolder;
      result = await this.audit.verify();
      uriOf = name => vscode.Uri.joinPath(folder, name);
    }
    const message = describeChain(result, vscode.l10n);
    this.log.info(`audit chain of ${target ? target.toString(true) : 'the log'}: ${message}`);
    const another = vscode.l10n.t('Verify Another File…');
    const openAt = result.ok ? undefined : vscode.l10n.t('Open Line {0}', result.line);
    const actions = openAt ? [openAt, another] : [another];
    const shown = result.ok ? vscode.window.showInformationMessage(message, ...actions) : vscode.window.showErrorMessage(message, ...actions);
    void Promise.resolve(shown).then(async choice => {
      if (choice === another) {
        const picked = await vscode.window.showOpenDialog({
          title: vscode.l10n.t('Verify an exported Secure MCP audit log'),
          openLabel: vscode.l10n.t('Verify'),
          canSelectMany: false,
          filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl'] }
        });
        if (picked?.[0]) {
          await this.verifyAuditLog(picked[0]);
        }
      } else if (choice === openAt && !result.ok) {
        await showLines(uriOf(result.file), result);
      }
    }).catch(e => this.log.error(e instanceof Error ? e : String(e)));
    return { done: result.ok, message, actions };
  }

  /** `secureMcp.resetApprovals`: forgets session grants and the persistent allow-list. */
  async resetApprovals(): Promise<ApprovalCommandResult> {
    await this.policy.reset();
    this.log.info('approvals reset');
    return { done: true, message: vscode.l10n.t('Tool approvals were reset. Every tool call asks again.') };
  }

  dispose(): void {
    this.auditProvider.dispose();
    this.auditChanged.dispose();
    this.panels.dispose();
    void this.auditLog?.log.flush();
  }
}

/** Opens `uri` with the broken line selected (from the line it fails to match, when that is in the same file). */
async function showLines(uri: vscode.Uri, result: Extract<ChainResult, { ok: false }>): Promise<void> {
  const end = Math.max(0, result.line - 1);
  const start = result.previous && result.previous.file === result.file ? Math.max(0, result.previous.line - 1) : end;
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(start, 0, end + 1, 0), preview: true });
}
