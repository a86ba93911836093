import { runMochaIn } from '../mochaRunner';

/** extensionTestsPath entry of the entra suite: runs `*.test.js` next to it. */
export function run(): Promise<void> {
  return runMochaIn(__dirname);
}
