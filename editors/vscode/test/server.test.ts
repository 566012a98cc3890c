/**
 * The real server over stdio, as VS Code talks to it: VS Code's client capabilities (inline
 * completion with dynamicRegistration), the extension's settings tree as initializationOptions and
 * workspace/didChangeConfiguration, a document opened in a small workspace, and an inline completion.
 *
 * Environment:
 * - HIROPE_TEST_SERVER: the hirope-lsp executable, or a Python interpreter that has hirope-lsp
 *   installed; default: found as the extension finds it, from the repository root's .venv.
 * - HIROPE_TEST_MODEL: the model spec; default "default" (SmolLM2-135M, offline; its first load
 *   converts the GGUF into $XDG_CACHE_HOME/hirope-lsp, about 20 s).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';

import { failureMessage, resolveServer, serverArgs } from '../src/serverPath';
import { didChangeConfigurationParams, toServerSettings } from '../src/settings';
import { parseStatus, STATUS_METHOD, type ServerStatus } from '../src/status';
import packageJson from '../package.json';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const MODEL = process.env['HIROPE_TEST_MODEL'] || 'default';
const DEADLINE_MS = 170_000;

const A_PY = 'def fibonacci(n):\n    \n';
const B_PY = 'import math\n\n\ndef area(radius):\n    return math.pi * radius ** 2\n';

/** VS Code's client capabilities (vscode-languageclient 10), as far as they matter to this server. */
const CAPABILITIES = {
  general: {
    positionEncodings: ['utf-16'],
    staleRequestSupport: { cancel: true, retryOnContentModified: [] },
    regularExpressions: { engine: 'ECMAScript', version: 'ES2020' },
    markdown: { parser: 'marked', version: '1.1.0' },
  },
  window: { workDoneProgress: true, showMessage: { messageActionItem: { additionalPropertiesSupport: true } } },
  workspace: {
    configuration: true,
    workspaceFolders: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, willSave: true, willSaveWaitUntil: true, didSave: true },
    completion: {
      dynamicRegistration: true,
      contextSupport: true,
      completionItem: { snippetSupport: true, insertReplaceSupport: true, labelDetailsSupport: true },
    },
    inlineCompletion: { dynamicRegistration: true },
  },
};

interface Progress {
  token: string | number;
  value: { kind: string; title?: string; message?: string };
}

interface InlineItem {
  insertText: string | { kind: string; value: string };
  range?: unknown;
}

function serverCommand(): { command: string; args: string[] } {
  const given = process.env['HIROPE_TEST_SERVER'];
  if (given) {
    return { command: given, args: serverArgs(given) };
  }
  const found = resolveServer({
    workspaceFolders: [REPO_ROOT],
    platform: process.platform,
    env: process.env,
    homedir: homedir(),
    isFile: (file) => existsSync(file) && statSync(file).isFile(),
  });
  if (!found.ok) {
    throw new Error(`${failureMessage(found)} (or set HIROPE_TEST_SERVER)`);
  }
  return found;
}

/** package.json's defaults, as the extension would send them if the user set every one, and the test's model. */
function settingsTree(): Record<string, unknown> {
  const properties = packageJson.contributes.configuration.properties as Record<string, { default?: unknown }>;
  const tree = toServerSettings((key) => properties[`hirope.${key}`]?.default);
  (tree['model'] as Record<string, unknown>)['spec'] = MODEL;
  return tree;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('hirope-lsp over stdio', () => {
  let workspace: string;
  let server: ChildProcess;
  let connection: MessageConnection;
  let stderr = '';
  const registrations: { method: string }[] = [];
  const progress: Progress[] = [];
  const shown: { type: number; message: string }[] = [];
  const statuses: ServerStatus[] = [];
  const settings = settingsTree();
  const started = Date.now();

  /** Polls `check` until it returns a value (not undefined), or fails with the server's stderr. */
  async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
    for (;;) {
      const value = await check();
      if (value !== undefined) {
        return value;
      }
      if (Date.now() - started > DEADLINE_MS || server.exitCode !== null) {
        throw new Error(`timed out waiting for ${what}; server stderr:\n${stderr.slice(-3000)}`);
      }
      await sleep(250);
    }
  }

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'hirope-vscode-'));
    writeFileSync(join(workspace, 'a.py'), A_PY);
    writeFileSync(join(workspace, 'b.py'), B_PY);
    const { command, args } = serverCommand();
    server = spawn(command, args, {
      cwd: workspace,
      env: { ...process.env, HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    server.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    connection.onRequest('client/registerCapability', (params: { registrations: { method: string }[] }) => {
      registrations.push(...params.registrations);
      return null;
    });
    connection.onRequest('client/unregisterCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('window/showMessageRequest', () => null);
    connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      params.items.map(() => settings),
    );
    connection.onNotification('$/progress', (params: Progress) => {
      progress.push(params);
    });
    connection.onNotification('window/showMessage', (params: { type: number; message: string }) => {
      shown.push(params);
    });
    connection.onNotification(STATUS_METHOD, (body: unknown) => {
      const status = parseStatus(body);
      if (status !== undefined) {
        statuses.push(status);
      }
    });
    connection.onNotification(() => undefined); // window/logMessage and the like
    connection.listen();
  });

  afterAll(async () => {
    connection?.dispose();
    if (server && server.exitCode === null) {
      server.kill();
    }
    if (workspace) {
      rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('serves a non-empty inline completion to a VS Code client', async () => {
    const rootUri = pathToFileURL(workspace).href;
    const result = await connection.sendRequest<{ capabilities: Record<string, unknown> }>('initialize', {
      processId: process.pid,
      clientInfo: { name: 'Visual Studio Code', version: '1.91.0' },
      rootUri,
      rootPath: workspace,
      workspaceFolders: [{ uri: rootUri, name: 'fixture' }],
      initializationOptions: settings,
      capabilities: CAPABILITIES,
      trace: 'off',
    });
    await connection.sendNotification('initialized', {});
    await connection.sendNotification('workspace/didChangeConfiguration', didChangeConfigurationParams(settings));

    const uri = pathToFileURL(join(workspace, 'a.py')).href;
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text: A_PY },
    });

    // Inline completion is offered: statically, or registered dynamically (client/registerCapability).
    const inlineStatic = result.capabilities['inlineCompletionProvider'];
    const inlineDynamic = registrations.some((registration) => registration.method === 'textDocument/inlineCompletion');
    expect(Boolean(inlineStatic) || inlineDynamic).toBe(true);

    const ready = await waitFor('the model to be ready', async () => {
      const status = parseStatus(await connection.sendRequest(STATUS_METHOD, {}));
      if (status?.state === 'error') {
        throw new Error(`the model failed to load: ${status.error}\n${stderr.slice(-3000)}`);
      }
      return status?.state === 'ready' ? status : undefined;
    });
    console.log(`model ${ready.model} ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(ready.rope).toBe('hirope');
    expect(ready.window).toBe(4096); // the default beyond the training window: half of it

    // The cursor in fibonacci's body (line 1, column 4); retried while the server answers empty.
    const items = await waitFor('a non-empty inline completion', async () => {
      const answer = await connection.sendRequest<{ items: InlineItem[] } | InlineItem[] | null>(
        'textDocument/inlineCompletion',
        { textDocument: { uri }, position: { line: 1, character: 4 }, context: { triggerKind: 2 } },
      );
      const list = Array.isArray(answer) ? answer : (answer?.items ?? []);
      const texts = list.map((item) => (typeof item.insertText === 'string' ? item.insertText : item.insertText.value));
      return texts.some((text) => text.trim().length > 0) ? list : undefined;
    });
    expect(items[0]!.range).toBeDefined();
    console.log(`completion after ${((Date.now() - started) / 1000).toFixed(1)} s:`, JSON.stringify(items[0]!.insertText));

    // hirope/status: notifications on change, the latency of the completion, the indexed files.
    const after = await waitFor('a status with a latency', async () => {
      const status = parseStatus(await connection.sendRequest(STATUS_METHOD, {}));
      return status?.lastLatencyMs !== null ? status : undefined;
    });
    expect(after.filesIndexed).toBeGreaterThanOrEqual(2);
    expect(statuses.some((status) => status.state === 'ready')).toBe(true);

    // Work-done progress for the model load and the indexing, begun and ended.
    const titles = progress.filter((entry) => entry.value.kind === 'begin').map((entry) => entry.value.title ?? '');
    expect(titles.some((title) => title.includes('loading the model'))).toBe(true);
    expect(titles.some((title) => title.includes('indexing'))).toBe(true);
    await waitFor('every progress to end', () => {
      const begun = progress.filter((entry) => entry.value.kind === 'begin').length;
      const ended = progress.filter((entry) => entry.value.kind === 'end').length;
      return begun === ended ? true : undefined;
    });

    // The extension's settings tree is accepted as it is: no "invalid settings" message.
    expect(shown.filter((message) => message.message.includes('invalid settings'))).toEqual([]);

    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
    const code = await waitFor('the server to exit', () => server.exitCode ?? undefined);
    expect(code).toBe(0);
  });
});
