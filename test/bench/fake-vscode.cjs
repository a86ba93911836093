// A do-nothing stand-in for the `vscode` module so activate() can be timed in plain
// Node. Benchmarks only: tests use the real extension host.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports */
const Module = require('node:module');

function stub() {
  const fn = function () { return proxy; };
  const proxy = new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'then') { return undefined; }
      if (prop === Symbol.toPrimitive) { return () => ''; }
      if (prop === 'get') { return () => undefined; }
      return proxy;
    },
    set() { return true; },
    apply() { return proxy; },
    construct() { return proxy; }
  });
  return proxy;
}

// esbuild's interop copies own property names, so the namespaces are listed explicitly.
const names = ['authentication', 'chat', 'commands', 'env', 'l10n', 'lm', 'window', 'workspace', 'ConfigurationTarget',
  'Disposable', 'EventEmitter', 'ExtensionMode', 'MarkdownString', 'ProgressLocation', 'StatusBarAlignment', 'ThemeColor', 'ThemeIcon', 'Uri',
  'ViewColumn', 'version'];
const fake = Object.fromEntries(names.map(n => [n, stub()]));
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: fake };
module.exports = { fake };
