/**
 * Replaced by esbuild (esbuild.mjs `define`): true in development and test builds, false
 * in the production build that goes into the VSIX, where code behind it is dropped.
 */
declare const SECURE_MCP_TEST_BUILD: boolean;
