import { describe, expect, it } from 'vitest';

import { failureMessage, isPython, resolveServer, venvCandidates, type ResolveOptions } from '../src/serverPath';

function options(files: string[], overrides: Partial<ResolveOptions> = {}): ResolveOptions {
  const existing = new Set(files);
  return {
    configured: '',
    workspaceFolders: ['/ws'],
    platform: 'linux',
    env: { PATH: '/usr/local/bin:/usr/bin' },
    homedir: '/home/me',
    isFile: (file) => existing.has(file),
    ...overrides,
  };
}

describe('resolveServer', () => {
  it("prefers the workspace's .venv, then venv, then PATH", () => {
    const all = ['/ws/.venv/bin/hirope-lsp', '/ws/venv/bin/hirope-lsp', '/usr/bin/hirope-lsp'];
    expect(resolveServer(options(all))).toEqual({
      ok: true,
      command: '/ws/.venv/bin/hirope-lsp',
      args: ['--stdio'],
      source: 'venv',
    });
    expect(resolveServer(options(all.slice(1)))).toMatchObject({ command: '/ws/venv/bin/hirope-lsp', source: 'venv' });
    expect(resolveServer(options(all.slice(2)))).toMatchObject({ command: '/usr/bin/hirope-lsp', source: 'PATH' });
  });

  it('looks in every workspace folder, in order', () => {
    const found = resolveServer(options(['/b/venv/bin/hirope-lsp'], { workspaceFolders: ['/a', '/b'] }));
    expect(found).toMatchObject({ ok: true, command: '/b/venv/bin/hirope-lsp' });
  });

  it('uses hirope.serverPath before anything else: absolute, relative to the folder, ~, or on PATH', () => {
    const files = ['/ws/.venv/bin/hirope-lsp', '/opt/hirope/bin/hirope-lsp', '/ws/tools/hirope-lsp', '/home/me/bin/hl'];
    expect(resolveServer(options(files, { configured: '/opt/hirope/bin/hirope-lsp' }))).toMatchObject({
      command: '/opt/hirope/bin/hirope-lsp',
      source: 'setting',
    });
    expect(resolveServer(options(files, { configured: 'tools/hirope-lsp' }))).toMatchObject({
      command: '/ws/tools/hirope-lsp',
    });
    expect(resolveServer(options(files, { configured: '~/bin/hl' }))).toMatchObject({ command: '/home/me/bin/hl' });
    expect(resolveServer(options(['/usr/bin/hl2'], { configured: 'hl2' }))).toMatchObject({ command: '/usr/bin/hl2' });
  });

  it('runs a Python interpreter as python -m hirope_lsp.cli --stdio', () => {
    const found = resolveServer(options(['/ws/.venv/bin/python3'], { configured: '.venv/bin/python3' }));
    expect(found).toEqual({
      ok: true,
      command: '/ws/.venv/bin/python3',
      args: ['-m', 'hirope_lsp.cli', '--stdio'],
      source: 'setting',
    });
    expect(['python', 'python3', 'python3.12', 'python.exe', 'pythonw.exe'].every(isPython)).toBe(true);
    expect(['hirope-lsp', 'python-lsp', 'ipython'].some(isPython)).toBe(false);
  });

  it('reports a configured path that does not exist, without falling back', () => {
    const missing = resolveServer(options(['/ws/.venv/bin/hirope-lsp'], { configured: '/nope/hirope-lsp' }));
    expect(missing).toEqual({
      ok: false,
      reason: 'configured-missing',
      configured: '/nope/hirope-lsp',
      searched: ['/nope/hirope-lsp'],
    });
    if (missing.ok) throw new Error('unreachable');
    expect(failureMessage(missing)).toContain('hirope.serverPath');
  });

  it('reports a server found nowhere, with the fix', () => {
    const missing = resolveServer(options([]));
    expect(missing).toMatchObject({ ok: false, reason: 'not-found' });
    if (missing.ok) throw new Error('unreachable');
    expect(missing.searched).toContain('/ws/.venv/bin/hirope-lsp');
    const message = failureMessage(missing);
    expect(message).toContain('pip install hirope-lsp');
    expect(message).toContain('hirope.serverPath');
  });

  it('finds Scripts\\hirope-lsp.exe on Windows, and NAME.exe on Path', () => {
    const win = { platform: 'win32' as const, workspaceFolders: ['C:\\ws'], env: { Path: 'C:\\Python\\Scripts;C:\\bin' } };
    expect(venvCandidates('C:\\ws', 'win32')).toEqual([
      'C:\\ws\\.venv\\Scripts\\hirope-lsp.exe',
      'C:\\ws\\venv\\Scripts\\hirope-lsp.exe',
    ]);
    expect(resolveServer(options(['C:\\ws\\venv\\Scripts\\hirope-lsp.exe'], win))).toMatchObject({
      command: 'C:\\ws\\venv\\Scripts\\hirope-lsp.exe',
      source: 'venv',
    });
    expect(resolveServer(options(['C:\\bin\\hirope-lsp.exe'], win))).toMatchObject({
      command: 'C:\\bin\\hirope-lsp.exe',
      source: 'PATH',
    });
  });

  it('explains a start failure', () => {
    const message = failureMessage({ ok: 'start-failed', command: '/ws/.venv/bin/hirope-lsp', error: 'exited with 1' });
    expect(message).toContain('exited with 1');
    expect(message).toContain('pip install hirope-lsp');
  });
});
