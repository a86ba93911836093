import * as path from 'node:path';
import type * as Runtime from '../node/runtime';
import type * as Features from './features';

export type RuntimeModule = typeof Runtime;
export type FeaturesModule = typeof Features;

let runtime: RuntimeModule | undefined;
let features: FeaturesModule | undefined;

/**
 * Loads dist/runtime.js (MCP SDK, openai and the logic built on them) the first time
 * a feature needs it. Keeping it out of dist/extension.js is what keeps activation cheap.
 */
export function loadRuntime(): RuntimeModule {
  // A computed path keeps esbuild from inlining the module into the extension bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  runtime ??= require(path.join(__dirname, 'runtime.js')) as RuntimeModule;
  return runtime;
}

/**
 * Loads dist/features.js: the chat handler, the approval and elicitation webviews and
 * the heavier commands, none of which activation needs.
 */
export function loadFeatures(): FeaturesModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  features ??= require(path.join(__dirname, 'features.js')) as FeaturesModule;
  return features;
}
