import fs from 'node:fs';
import path from 'node:path';

/** A configuration property's `policy`: VS Code's IPolicy (name, category, minimumVersion, description). */
export interface DeclaredPolicy {
  name: string;
  category?: string;
  minimumVersion: string;
  description?: string;
}

export interface DeclaredSetting {
  default: unknown;
  type?: string | string[];
  policy?: DeclaredPolicy;
  pattern?: string;
  enum?: unknown;
  enumItemLabels?: unknown;
  examples?: string[];
  description?: string;
  markdownDescription?: string;
}

export interface SettingsGroup {
  id: string;
  title: string;
  order?: number;
  properties: Record<string, DeclaredSetting>;
}

export interface WalkthroughStep {
  id: string;
  title: string;
  description: string;
  completionEvents?: string[];
}

interface Contributions {
  configuration: SettingsGroup[];
  walkthroughs: { id: string; steps: WalkthroughStep[] }[];
}

function contributes(): Contributions {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { contributes: Contributions }).contributes;
}

/** package.json's settings groups, as the Settings editor shows them. */
export function settingsGroups(): SettingsGroup[] {
  return contributes().configuration;
}

/** Every declared setting, whatever its group. */
export function declaredSettings(): Record<string, DeclaredSetting> {
  return Object.assign({}, ...settingsGroups().map(g => g.properties)) as Record<string, DeclaredSetting>;
}

/** package.json's walkthroughs. */
export function walkthroughs(): Contributions['walkthroughs'] {
  return contributes().walkthroughs;
}
