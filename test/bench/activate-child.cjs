// One measurement per process, so module caches never carry over between samples.
//   node activate-child.cjs <dist dir> activate|eager|runtime
//   activate  require dist/extension.js and call activate(): what VS Code waits for
//   eager     the same, then require dist/runtime.js and create the runtime, as the
//             deferred start right after activation does (the cost moved off activation)
//   runtime   require dist/runtime.js alone
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports */
const path = require('node:path');
const fs = require('node:fs');
const { fake } = require('./fake-vscode.cjs');

const [dist, mode] = process.argv.slice(2);
const packageJSON = JSON.parse(fs.readFileSync(path.join(dist, '..', 'package.json'), 'utf8'));
const memento = { get: (_k, d) => d, update: async () => undefined, keys: () => [] };
const context = {
  subscriptions: [], extension: { id: 'secure-mcp.secure-mcp', packageJSON }, extensionUri: fake.Uri,
  globalStorageUri: { fsPath: require('node:os').tmpdir() }, globalState: memento, secrets: fake.Uri, extensionMode: 1
};
// The extension host has these loaded long before any extension activates (VS Code
// itself uses them), so their first-load cost is not the extension's to pay.
for (const builtin of ['node:crypto', 'node:fs', 'node:path', 'node:os', 'node:events', 'node:url']) {
  require(builtin);
}
const runtimePath = path.join(dist, 'runtime.js');
const heapBefore = process.memoryUsage().heapUsed;
const t0 = process.hrtime.bigint();
if (mode === 'runtime') {
  require(runtimePath);
} else {
  require(path.join(dist, 'extension.js')).activate(context);
  if (mode === 'eager') {
    require(runtimePath).createRuntime(context, { oauthSessionsChanged: fake.EventEmitter });
  }
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const runtimeLoaded = require.cache[runtimePath] !== undefined;
process.stdout.write(JSON.stringify({ ms, heapKiB: Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024), runtimeLoaded }));
