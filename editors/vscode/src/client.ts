/** The language client: vscode-languageclient's, with hirope's options, middleware and error handling. */

import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

import { completionMenuEnabled, completionsOnFor, readServerSettings } from './config';
import { SECTION, type ServerSettings } from './settings';

const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

/**
 * A LanguageClient that stays quiet while it starts: a failed start is reported by the extension in
 * one notification of its own (what went wrong and how to fix it), not by the library's several.
 */
export class HiropeClient extends LanguageClient {
  quiet = false;

  override error(message: string, data?: unknown, showNotification?: boolean | 'force'): void {
    super.error(message, data, this.quiet ? false : showNotification);
  }
}

export interface ClientHooks {
  /** The server crashed too often and is not restarted: report it once. */
  onGaveUp: (message: string) => void;
}

export function createClient(
  command: string,
  args: string[],
  settings: ServerSettings,
  output: vscode.LogOutputChannel,
  hooks: ClientHooks,
): HiropeClient {
  const serverOptions: ServerOptions = { command, args, options: { env: process.env } };
  const restarts: number[] = [];
  let client: HiropeClient | undefined;
  const errorHandler: ErrorHandler = {
    error(_error, _message, count): ErrorHandlerResult {
      return { action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown };
    },
    closed(): CloseHandlerResult {
      if (client === undefined || client.quiet) {
        return { action: CloseAction.DoNotRestart, handled: true }; // still starting: the extension reports it
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && now - restarts[0]! > RESTART_WINDOW_MS) {
        restarts.shift();
      }
      if (restarts.length <= MAX_RESTARTS) {
        return { action: CloseAction.Restart, message: 'hirope: the server stopped; restarting it.', handled: true };
      }
      const message =
        `hirope: the server stopped ${restarts.length} times in 3 minutes and is not restarted again. ` +
        'The log has the details; fix the cause, then run "hirope: Restart the Server".';
      hooks.onGaveUp(message);
      return { action: CloseAction.DoNotRestart, message, handled: true };
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }],
    initializationOptions: settings,
    outputChannel: output,
    traceOutputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler,
    initializationFailedHandler: () => false,
    middleware: {
      provideInlineCompletionItems: (document, position, context, token, next) =>
        completionsOnFor(document.languageId) ? next(document, position, context, token) : null,
      provideCompletionItem: (document, position, context, token, next) =>
        completionMenuEnabled() && completionsOnFor(document.languageId) ? next(document, position, context, token) : null,
      workspace: {
        // The server may pull its settings (workspace/configuration, section "hirope"): give it the
        // same tree as initializationOptions, without the client-side settings.
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) {
            return result;
          }
          return result.map((value: unknown, index) =>
            params.items[index]?.section === SECTION ? readServerSettings() : value,
          );
        },
      },
    },
  };
  client = new HiropeClient(SECTION, 'hirope', serverOptions, clientOptions);
  return client;
}
