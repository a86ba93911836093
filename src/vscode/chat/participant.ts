import type * as vscode from 'vscode';
import type { ApprovalGate } from '../../common/approval/gate';
import type { PastToolCall } from '../../common/chat/history';
import type { Logger } from '../../common/log';
import type { SettingsService } from '../settingsService';
import type { Connections } from '../connection/connections';

export const PARTICIPANT_ID = 'secure-mcp.chat';

/** Metadata each turn returns, so follow-up turns know what ran. */
export interface TurnMetadata {
  readonly command: string | undefined;
  readonly toolCalls: readonly PastToolCall[];
}

export interface ParticipantDeps {
  readonly context: vscode.ExtensionContext;
  readonly settings: SettingsService;
  readonly connections: Connections;
  /** Created on first use: the approval panels are not needed until a tool is called. */
  readonly gate: () => ApprovalGate;
  /** Records how an approved call ended (the gate records the decision). */
  readonly completed: (callId: string, result: { outcome: 'ok' | 'error' | 'cancelled'; resultBytes?: number; error?: unknown }) => Promise<void>;
  /** Fires with a call's id once its approval panel is on screen, so the reply can say it waits for the user. */
  readonly onApprovalShown: (listener: (callId: string) => void) => vscode.Disposable;
  readonly logger: Logger;
}
