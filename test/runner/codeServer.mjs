// Runs the real VS Code (code-server 4.139, Node 24) on loopback and drives its web
// workbench with Chromium. Used by the integration tests, the e2e tests and `npm start`,
// which import everything from here; each concern lives in its own module below.
export { registerCleanup, tempDir } from './cleanup.mjs';
export { freePort, startCodeServer, TEST_SETTINGS, writeUserSettings } from './codeServerProcess.mjs';
export { installUnpacked, installVsix } from './extensionInstall.mjs';
export { runExtensionTests } from './extensionTests.mjs';
export {
  CHROMIUM_ARGS,
  handleUiRequest,
  launchBrowser,
  NOISE,
  remoteUri,
  saveFailureArtifacts,
  UI_REQUEST_PREFIX,
  workbenchUrl
} from './workbench.mjs';
