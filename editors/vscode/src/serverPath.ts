/**
 * Finding the `hirope-lsp` executable, and what to tell the user when there is none.
 *
 * Pure: the file system, the environment and the platform come in as arguments.
 */

import * as path from 'node:path';

export const EXECUTABLE = 'hirope-lsp';
export const INSTALL_HINT = 'pip install hirope-lsp';

export interface ResolveOptions {
  /** `hirope.serverPath` ('' or undefined: not set). */
  configured?: string | undefined;
  /** The workspace folders' paths, first folder first. */
  workspaceFolders: readonly string[];
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
  /** Whether a path is an existing file (that may be run). */
  isFile: (file: string) => boolean;
}

export type Resolution =
  | { ok: true; command: string; args: string[]; source: 'setting' | 'venv' | 'PATH' }
  | { ok: false; reason: 'configured-missing' | 'not-found'; configured?: string; searched: string[] };

/**
 * The server command: `hirope.serverPath` when set (a path, absolute, relative to the first workspace
 * folder, or under `~`; or a bare command name looked up on PATH), else a workspace virtual environment
 * (.venv, venv), else PATH. A Python interpreter is run as `python -m hirope_lsp.cli --stdio`.
 */
export function resolveServer(options: ResolveOptions): Resolution {
  const p = pathFor(options.platform);
  const configured = options.configured?.trim();
  if (configured) {
    const expanded = expandHome(configured, options.homedir, p);
    let candidates: string[];
    if (isBareName(expanded)) {
      candidates = pathCandidates(expanded, options);
    } else if (p.isAbsolute(expanded)) {
      candidates = [expanded];
    } else {
      candidates = options.workspaceFolders.map((folder) => p.resolve(folder, expanded));
    }
    const found = candidates.find(options.isFile);
    if (found === undefined) {
      return { ok: false, reason: 'configured-missing', configured, searched: candidates };
    }
    return { ok: true, command: found, args: serverArgs(found, p), source: 'setting' };
  }
  const venvs = options.workspaceFolders.flatMap((folder) => venvCandidates(folder, options.platform));
  const inVenv = venvs.find(options.isFile);
  if (inVenv !== undefined) {
    return { ok: true, command: inVenv, args: serverArgs(inVenv, p), source: 'venv' };
  }
  const onPath = pathCandidates(EXECUTABLE, options);
  const found = onPath.find(options.isFile);
  if (found !== undefined) {
    return { ok: true, command: found, args: serverArgs(found, p), source: 'PATH' };
  }
  return { ok: false, reason: 'not-found', searched: [...venvs, ...searchedDirectories(options)] };
}

/** The workspace virtual environments' executables, in the order they are tried. */
export function venvCandidates(folder: string, platform: NodeJS.Platform): string[] {
  const p = pathFor(platform);
  const [bin, file] = platform === 'win32' ? ['Scripts', `${EXECUTABLE}.exe`] : ['bin', EXECUTABLE];
  return ['.venv', 'venv'].map((venv) => p.join(folder, venv, bin, file));
}

/** The arguments for an executable: `--stdio`, or `-m hirope_lsp.cli --stdio` for a Python interpreter. */
export function serverArgs(command: string, p: path.PlatformPath = path): string[] {
  return isPython(p.basename(command)) ? ['-m', 'hirope_lsp.cli', '--stdio'] : ['--stdio'];
}

export function isPython(basename: string): boolean {
  return /^python(\d+(\.\d+)*)?w?(\.exe)?$/i.test(basename);
}

/** The one notification shown when the server cannot be found or started: what went wrong, and the fix. */
export function failureMessage(failure: Resolution | { ok: 'start-failed'; command: string; error: string }): string {
  if (failure.ok === true) {
    return '';
  }
  if (failure.ok === 'start-failed') {
    return (
      `hirope: the server ${failure.command} failed to start (${failure.error}). ` +
      `Check that it runs with \`${failure.command} --stdio\`, reinstall it with \`${INSTALL_HINT}\`, ` +
      `or point hirope.serverPath at a working hirope-lsp. The log has the details.`
    );
  }
  if (failure.reason === 'configured-missing') {
    return (
      `hirope: hirope.serverPath is "${failure.configured ?? ''}", which is not an executable file. ` +
      `Set it to the hirope-lsp executable (or a Python interpreter that has hirope-lsp installed), ` +
      `or clear it to use the workspace's .venv or PATH.`
    );
  }
  return (
    `hirope: cannot find the hirope-lsp server in the workspace's .venv or venv, nor on PATH. ` +
    `Install it with \`${INSTALL_HINT}\` (in the workspace's virtual environment or on PATH), ` +
    `or set hirope.serverPath to its executable.`
  );
}

function pathFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

function expandHome(value: string, homedir: string, p: path.PlatformPath): string {
  if (value === '~') {
    return homedir;
  }
  if (value.startsWith('~/') || value.startsWith('~\\')) {
    return p.join(homedir, value.slice(2));
  }
  return value;
}

function isBareName(value: string): boolean {
  return !value.includes('/') && !value.includes('\\');
}

function pathDirectories(options: ResolveOptions): string[] {
  const p = pathFor(options.platform);
  const raw = options.platform === 'win32' ? (options.env['Path'] ?? options.env['PATH']) : options.env['PATH'];
  return (raw ?? '').split(p.delimiter).filter((entry) => entry.length > 0);
}

function searchedDirectories(options: ResolveOptions): string[] {
  return pathDirectories(options).map((directory) => `${directory} (PATH)`);
}

/** A command name on PATH; on Windows `NAME.exe` unless it has an extension (pip's console scripts are .exe). */
function pathCandidates(name: string, options: ResolveOptions): string[] {
  const p = pathFor(options.platform);
  const file = options.platform === 'win32' && p.extname(name) === '' ? `${name}.exe` : name;
  return pathDirectories(options).map((directory) => p.join(directory, file));
}
