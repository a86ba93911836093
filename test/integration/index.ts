import { runMochaIn } from './mochaRunner';

/** extensionTestsPath entry of the development suite: runs `*.test.js` next to it. */
export function run(): Promise<void> {
  return runMochaIn(__dirname);
}
