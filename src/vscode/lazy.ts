import * as path from 'node:path';
import type * as Runtime from '../common/runtime';

export type RuntimeModule = typeof Runtime;

let loaded: RuntimeModule | undefined;

/**
 * Loads dist/runtime.js (MCP SDK, openai and the logic built on them) the first time
 * a feature needs it. Keeping it out of dist/extension.js is what keeps activation cheap.
 */
export function loadRuntime(): RuntimeModule {
  if (!loaded) {
    // A computed path keeps esbuild from inlining the module into the extension bundle.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(path.join(__dirname, 'runtime.js')) as RuntimeModule;
  }
  return loaded;
}

export function isRuntimeLoaded(): boolean {
  return loaded !== undefined;
}
