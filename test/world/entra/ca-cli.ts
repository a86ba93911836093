/**
 * Makes the per-run test CA for a runner that must hand its bundle to code-server before the
 * emulator starts (in the extension host): prints `{ dir, caBundleFile, caFile }` as JSON.
 * The runner removes `dir` when it is done.
 */
import { createTestCa } from './ca';

createTestCa().then(
  (ca) => { process.stdout.write(`${JSON.stringify({ dir: ca.dir, caBundleFile: ca.caBundleFile, caFile: ca.caFile })}\n`); },
  (e: unknown) => { console.error(e); process.exit(1); }
);
