import * as vscode from 'vscode';
import { masking, type Logger } from '../common/log';

/** The extension's single output channel, behind the masking logger. */
export function createLog(): { channel: vscode.LogOutputChannel; logger: Logger } {
  const channel = vscode.window.createOutputChannel('Secure MCP', { log: true });
  const logger = masking({
    trace: m => channel.trace(m),
    debug: m => channel.debug(m),
    info: m => channel.info(m),
    warn: m => channel.warn(m),
    error: m => channel.error(m)
  });
  return { channel, logger };
}
