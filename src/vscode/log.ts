import * as vscode from 'vscode';
import { masking, type Logger } from '../common/log';

const KEPT_LINES = 2000;

/**
 * The extension's single output channel, behind the masking logger. The last lines are
 * also kept in memory, exactly as written, so tests can prove what reached the channel.
 */
export function createLog(): { channel: vscode.LogOutputChannel; logger: Logger; recent: () => readonly string[] } {
  const channel = vscode.window.createOutputChannel('Secure MCP', { log: true });
  const kept: string[] = [];
  const keep = (line: string) => {
    kept.push(line);
    if (kept.length > KEPT_LINES) {
      kept.splice(0, kept.length - KEPT_LINES);
    }
    return line;
  };
  const logger = masking({
    trace: m => channel.trace(keep(String(m))),
    debug: m => channel.debug(keep(String(m))),
    info: m => channel.info(keep(String(m))),
    warn: m => channel.warn(keep(String(m))),
    error: m => channel.error(keep(String(m)))
  });
  return { channel, logger, recent: () => [...kept] };
}
