import { parseTestReport, type ProbeReport, type TestCommand } from '../../common/testHooks';

/**
 * Drives one webview page for an integration test: commands reach the page by
 * postMessage, its reports come back through the host's one message entry. Only created
 * behind `SECURE_MCP_TEST_BUILD`, so the production bundle leaves this module out.
 */
export class WebviewTestDriver {
  private waiting: ((report: ProbeReport) => void)[] = [];

  constructor(
    private readonly post: (message: unknown) => Thenable<boolean>,
    private readonly deliver: (raw: unknown) => void
  ) {}

  /** Delivers `raw` as if the page had posted it (same validation path). */
  inject(raw: unknown): void {
    this.deliver(raw);
  }

  /** Sends a command to the page without waiting (a click may close the panel). */
  async send(command: TestCommand): Promise<void> {
    await this.post({ type: 'test', ...command });
  }

  /** Runs a command in the page (click, key, fill, probe) and returns the page's report. */
  async run(command: TestCommand, timeoutMs = 10_000): Promise<ProbeReport> {
    const report = new Promise<ProbeReport>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the webview did not answer ${JSON.stringify(command)} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push(r => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    await this.send(command);
    return report;
  }

  /** Hands a page's test report to whoever waits for one; false for any other message. */
  takeReport(raw: unknown): boolean {
    const report = parseTestReport(raw);
    if (!report) {
      return false;
    }
    const waiting = this.waiting;
    this.waiting = [];
    waiting.forEach(resolve => resolve(report));
    return true;
  }
}
