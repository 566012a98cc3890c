/**
 * The hirope-lsp extension: starts `hirope-lsp --stdio`, keeps its settings in step, shows its status,
 * and offers commands to restart it, show its log and toggle completions.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { State } from 'vscode-languageclient/node';

import { createClient, type HiropeClient } from './client';
import {
  completionsEnabled,
  completionsOnFor,
  configuredServerPath,
  readServerSettings,
  toggleCompletions,
} from './config';
import { failureMessage, resolveServer } from './serverPath';
import { didChangeConfigurationParams, sameSettings, SECTION, type ServerSettings } from './settings';
import { STATUS_METHOD } from './status';
import { StatusBar } from './statusBar';

const COMMANDS = {
  restart: 'hirope.restartServer',
  showLog: 'hirope.showLog',
  toggle: 'hirope.toggleCompletions',
  menu: 'hirope.showMenu',
} as const;

let output: vscode.LogOutputChannel;
let statusBar: StatusBar;
let client: HiropeClient | undefined;
let sentSettings: ServerSettings = {};
let starting: Promise<void> | undefined;

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel('hirope', { log: true });
  statusBar = new StatusBar(COMMANDS.menu);
  context.subscriptions.push(
    output,
    statusBar,
    vscode.commands.registerCommand(COMMANDS.restart, restart),
    vscode.commands.registerCommand(COMMANDS.showLog, () => output.show(true)),
    vscode.commands.registerCommand(COMMANDS.toggle, toggleCompletions),
    vscode.commands.registerCommand(COMMANDS.menu, showMenu),
    vscode.workspace.onDidChangeConfiguration(onConfigurationChanged),
    vscode.window.onDidChangeActiveTextEditor(updateSwitch),
    vscode.workspace.onDidChangeWorkspaceFolders(onWorkspaceFoldersChanged),
  );
  updateSwitch();
  void start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

function start(): Promise<void> {
  starting ??= startClient().finally(() => {
    starting = undefined;
  });
  return starting;
}

async function startClient(): Promise<void> {
  statusBar.setPhase('starting');
  const resolution = resolveServer({
    configured: configuredServerPath(),
    workspaceFolders: (vscode.workspace.workspaceFolders ?? [])
      .filter((folder) => folder.uri.scheme === 'file')
      .map((folder) => folder.uri.fsPath),
    platform: process.platform,
    env: process.env,
    homedir: os.homedir(),
    isFile,
  });
  if (!resolution.ok) {
    output.error(`${failureMessage(resolution)} Looked for: ${resolution.searched.join(', ') || '(nothing)'}`);
    fail(failureMessage(resolution));
    return;
  }
  const commandLine = [resolution.command, ...resolution.args].join(' ');
  output.info(`starting ${commandLine} (from ${resolution.source})`);
  const settings = readServerSettings();
  const next = createClient(resolution.command, resolution.args, settings, output, {
    onGaveUp: (message) => fail(message),
  });
  next.onNotification(STATUS_METHOD, (body: unknown) => statusBar.onStatus(body));
  next.onDidChangeState((event) => {
    if (client !== next || next.quiet) {
      return; // the first start is followed below
    }
    if (event.newState === State.Starting) {
      statusBar.setPhase('starting'); // restarting after a crash
    } else if (event.newState === State.Running) {
      statusBar.setPhase('running');
      void requestStatus(next);
    }
  });
  client = next;
  sentSettings = settings;
  next.quiet = true;
  try {
    await next.start();
  } catch (error) {
    next.quiet = false;
    if (client === next) {
      client = undefined;
    }
    await next.dispose(2000).catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    output.error(`${commandLine} failed to start: ${reason}`);
    fail(failureMessage({ ok: 'start-failed', command: resolution.command, error: reason }));
    return;
  }
  next.quiet = false;
  statusBar.setPhase('running');
  await requestStatus(next);
}

async function requestStatus(from: HiropeClient): Promise<void> {
  try {
    statusBar.onStatus(await from.sendRequest(STATUS_METHOD));
  } catch (error) {
    output.warn(`${STATUS_METHOD} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function stop(): Promise<void> {
  await starting?.catch(() => undefined);
  const current = client;
  client = undefined;
  if (current !== undefined) {
    try {
      await current.dispose(3000);
    } catch (error) {
      output.warn(`stopping the server: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

/** The one notification for a server that cannot run: the reason, the fix, and buttons to act on it. */
function fail(message: string): void {
  statusBar.setPhase('failed', message);
  void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Log').then((choice) => {
    if (choice === 'Open Settings') {
      void vscode.commands.executeCommand('workbench.action.openSettings', `@ext:hirope.hirope-lsp`);
    } else if (choice === 'Show Log') {
      output.show(true);
    }
  });
}

function onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
  if (!event.affectsConfiguration(SECTION)) {
    return;
  }
  updateSwitch();
  if (event.affectsConfiguration(`${SECTION}.serverPath`)) {
    void restart();
    return;
  }
  const settings = readServerSettings();
  if (client !== undefined && client.state === State.Running && !sameSettings(settings, sentSettings)) {
    sentSettings = settings;
    void client.sendNotification('workspace/didChangeConfiguration', didChangeConfigurationParams(settings));
  }
}

/** A folder added to a workspace whose server could not be found may bring a .venv with it. */
function onWorkspaceFoldersChanged(): void {
  if (client === undefined && starting === undefined) {
    void start();
  }
}

function updateSwitch(): void {
  const languageId = vscode.window.activeTextEditor?.document.languageId;
  const offForLanguage = languageId !== undefined && !completionsOnFor(languageId) ? languageId : undefined;
  statusBar.setEnabled(completionsEnabled(), offForLanguage);
}

async function showMenu(): Promise<void> {
  const items: (vscode.QuickPickItem & { command: string; args?: unknown[] })[] = [
    {
      label: completionsEnabled() ? '$(circle-slash) Turn completions off' : '$(check) Turn completions on',
      command: COMMANDS.toggle,
    },
    { label: '$(debug-restart) Restart the server', command: COMMANDS.restart },
    { label: '$(output) Show the server log', command: COMMANDS.showLog },
    { label: '$(settings-gear) Open the settings', command: 'workbench.action.openSettings', args: ['@ext:hirope.hirope-lsp'] },
  ];
  const choice = await vscode.window.showQuickPick(items, { placeHolder: 'hirope' });
  if (choice !== undefined) {
    await vscode.commands.executeCommand(choice.command, ...(choice.args ?? []));
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
