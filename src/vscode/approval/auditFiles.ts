import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AuditFiles } from '../../node/audit/audit';

/** AuditFiles in one folder (the extension's global storage). Names are ours, never user input. */
export class FolderAuditFiles implements AuditFiles {
  constructor(private readonly folder: string) {}

  private file(name: string): string {
    if (!/^audit(\.\d+)?\.jsonl$/.test(name)) {
      throw new Error(`not an audit file name: ${name}`);
    }
    return path.join(this.folder, name);
  }

  async append(name: string, text: string): Promise<void> {
    await fs.mkdir(this.folder, { recursive: true });
    // 0600: the log names servers and tools the user called; other local users need not read it.
    await fs.appendFile(this.file(name), text, { encoding: 'utf8', mode: 0o600 });
  }

  async size(name: string): Promise<number | undefined> {
    try {
      return (await fs.stat(this.file(name))).size;
    } catch {
      return undefined;
    }
  }

  async read(name: string): Promise<string | undefined> {
    try {
      return await fs.readFile(this.file(name), 'utf8');
    } catch {
      return undefined;
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await fs.rename(this.file(from), this.file(to));
  }

  async remove(name: string): Promise<void> {
    await fs.rm(this.file(name), { force: true });
  }
}
