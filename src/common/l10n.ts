/**
 * The part of `vscode.l10n` that pure code needs: the VS Code side passes `vscode.l10n`
 * itself, so words written here are translated like any other; tests and the Diagnose
 * report pass `plainL10n`. Messages use `{0}`, `{1}` placeholders, as `vscode.l10n.t` does.
 */
export interface L10n {
  t(message: string, ...args: Array<string | number | boolean>): string;
}

/** English, placeholders filled in: what `vscode.l10n.t` does without a translation. */
export const plainL10n: L10n = {
  t: (message, ...args) => message.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m))
};
