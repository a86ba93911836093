/** The webview side of the VS Code API (available once per page). */
export interface WebviewApi {
  postMessage(message: unknown): void;
}

declare function acquireVsCodeApi(): WebviewApi;

let api: WebviewApi | undefined;

export function vscodeApi(): WebviewApi {
  api ??= acquireVsCodeApi();
  return api;
}
