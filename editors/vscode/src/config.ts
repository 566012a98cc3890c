/** The `hirope.*` settings as VS Code holds them (a thin layer over settings.ts). */

import * as vscode from 'vscode';

import { isEnabledFor, SECTION, toServerSettings, type ServerSettings } from './settings';

/**
 * The server's settings tree from the settings the user set (user, workspace or folder level); the
 * ones left unset are left out, so the server's own defaults apply.
 */
export function readServerSettings(): ServerSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return toServerSettings((key) => {
    const inspected = config.inspect(key);
    if (inspected === undefined) {
      return undefined;
    }
    return inspected.workspaceFolderValue ?? inspected.workspaceValue ?? inspected.globalValue;
  });
}

/** `hirope.serverPath` ('' when not set). */
export function configuredServerPath(): string {
  return vscode.workspace.getConfiguration(SECTION).get<string>('serverPath', '');
}

/** The global switch, `hirope.enable`. */
export function completionsEnabled(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('enable', true);
}

/** Whether completions are on for a language (`hirope.enable` and `hirope.languages`). */
export function completionsOnFor(languageId: string): boolean {
  const config = vscode.workspace.getConfiguration(SECTION);
  return isEnabledFor(languageId, config.get('enable'), config.get('languages'));
}

/** Whether the server's completion also goes into the suggest menu (`hirope.completionMenu`). */
export function completionMenuEnabled(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('completionMenu', false);
}

/** Flips `hirope.enable` where it is set (workspace or user settings); returns the new value. */
export async function toggleCompletions(): Promise<boolean> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const next = !completionsEnabled();
  const inspected = config.inspect<boolean>('enable');
  const target =
    inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update('enable', next, target);
  return next;
}
