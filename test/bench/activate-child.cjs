// One measurement per process, so module caches never carry over between samples.
//   node activate-child.cjs <dist dir> activate|eager|sdk
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports */
const path = require('node:path');
const { fake } = require('./fake-vscode.cjs');

const [dist, mode] = process.argv.slice(2);
const memento = { get: (_k, d) => d, update: async () => undefined, keys: () => [] };
const context = {
  subscriptions: [], extension: { id: 'secure-mcp.secure-mcp', packageJSON: { version: '0' } }, extensionUri: fake.Uri,
  globalStorageUri: { fsPath: require('node:os').tmpdir() }, globalState: memento, secrets: fake.Uri, extensionMode: 1
};
// The extension host has these loaded long before any extension activates (VS Code
// itself uses them), so their first-load cost is not the extension's to pay.
for (const builtin of ['node:crypto', 'node:fs', 'node:path', 'node:os', 'node:events', 'node:url']) {
  require(builtin);
}
const heapBefore = process.memoryUsage().heapUsed;
const t0 = process.hrtime.bigint();
if (mode === 'sdk') {
  require(path.join(dist, 'runtime.js'));
} else {
  const ext = require(path.join(dist, 'extension.js'));
  ext.activate(context);
  if (mode === 'eager') {
    require(path.join(dist, 'runtime.js'));
  }
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const runtimeLoaded = Object.keys(require.cache).some(k => k.endsWith(`${path.sep}runtime.js`));
process.stdout.write(JSON.stringify({ ms, heapKiB: Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024), runtimeLoaded }));
