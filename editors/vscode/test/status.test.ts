import { beforeEach, describe, expect, it } from 'vitest';

import { describeContext, describeStatus, formatCount, formatLatency, parseStatus, type ServerStatus } from '../src/status';
import { StatusBar } from '../src/statusBar';
import { resetMock, statusBarItems } from './vscode-mock';

const READY: ServerStatus = {
  model: 'SmolLM2-135M-Instruct',
  state: 'ready',
  error: null,
  rope: 'hirope',
  window: 512,
  split: 0.297,
  indexing: false,
  filesIndexed: 12,
  lastLatencyMs: 240,
  contextTokens: 2048,
  contextLimit: 32672,
};

beforeEach(resetMock);

describe('parseStatus', () => {
  it('reads a server body and rejects anything else', () => {
    expect(parseStatus({ ...READY })).toEqual(READY);
    expect(parseStatus({ state: 'loading', model: 'default' })).toEqual({
      model: 'default',
      state: 'loading',
      error: null,
      rope: '',
      window: 0,
      split: null,
      indexing: false,
      filesIndexed: 0,
      lastLatencyMs: null,
      contextTokens: null,
      contextLimit: null,
    });
    // A server from before indexing and the context's growth were reported.
    const older = Object.fromEntries(
      Object.entries(READY).filter(([key]) => !['indexing', 'contextTokens', 'contextLimit'].includes(key)),
    );
    expect(parseStatus(older)).toEqual({ ...READY, indexing: false, contextTokens: null, contextLimit: null });
    expect(parseStatus({ ...READY, indexing: 'yes', contextTokens: '2048' })).toEqual({
      ...READY,
      indexing: false,
      contextTokens: null,
    });
    expect(parseStatus({ ...READY, indexing: true })?.indexing).toBe(true);
    expect(parseStatus(null)).toBeUndefined();
    expect(parseStatus({ state: 'sleeping' })).toBeUndefined();
    expect(parseStatus('ready')).toBeUndefined();
  });
});

describe('describeStatus', () => {
  it('shows each server state', () => {
    expect(describeStatus({ phase: 'starting', enabled: true }).text).toBe('$(loading~spin) hirope');
    const loading = describeStatus({ phase: 'running', enabled: true, status: { ...READY, state: 'loading' } });
    expect(loading.text).toBe('$(loading~spin) hirope: loading model');
    const ready = describeStatus({ phase: 'running', enabled: true, status: READY });
    expect(ready.text).toBe('$(check) hirope 240 ms');
    expect(ready.tooltip).toContain('files indexed: 12');
    expect(ready.tooltip).toContain('hirope (window 512, split 0.297)');
    const error = describeStatus({
      phase: 'running',
      enabled: true,
      status: { ...READY, state: 'error', error: 'no such file' },
    });
    expect(error).toMatchObject({ text: '$(error) hirope: model error', severity: 'error' });
    expect(error.tooltip).toContain('no such file');
  });

  it('shows a ready server before its first completion, and flat RoPE', () => {
    const view = describeStatus({
      phase: 'running',
      enabled: true,
      status: { ...READY, lastLatencyMs: null, rope: 'flat', split: null },
    });
    expect(view.text).toBe('$(check) hirope');
    expect(view.tooltip).toContain('rope: flat');
    expect(view.tooltip).toContain('no completion yet');
  });

  it('shows the initial scan while it runs', () => {
    const view = describeStatus({ phase: 'running', enabled: true, status: { ...READY, indexing: true } });
    expect(view).toMatchObject({ text: '$(sync~spin) hirope: indexing', severity: 'normal' });
    expect(view.tooltip).toContain('hirope: indexing the workspace\n');
    expect(view.tooltip).toContain('files indexed: 12 (indexing)');
    const off = describeStatus({ phase: 'running', enabled: false, status: { ...READY, indexing: true } });
    expect(off.text).toBe('$(sync~spin) hirope: indexing');
    expect(off.tooltip).toContain('(completions are off)');
    // Loading the model and errors come first.
    const loading = describeStatus({
      phase: 'running',
      enabled: true,
      status: { ...READY, state: 'loading', indexing: true },
    });
    expect(loading.text).toBe('$(loading~spin) hirope: loading model');
    expect(loading.tooltip).toContain('(indexing)');
    const done = describeStatus({ phase: 'running', enabled: true, status: READY });
    expect(done.text).toBe('$(check) hirope 240 ms');
    expect(done.tooltip).not.toContain('indexing');
  });

  it('shows how far the context has grown', () => {
    const ready = describeStatus({ phase: 'running', enabled: true, status: READY });
    expect(ready.tooltip).toContain(
      'context: 2,048 of 32,672 tokens (grows while idle, as far as hirope.prompt.latencyMs allows)',
    );
    const full = describeStatus({ phase: 'running', enabled: true, status: { ...READY, contextTokens: 32672 } });
    expect(full.tooltip).toContain('context: 32,672 of 32,672 tokens (full)');
    const cold = describeStatus({
      phase: 'running',
      enabled: true,
      status: { ...READY, lastLatencyMs: null, contextTokens: null, contextLimit: null },
    });
    expect(cold.tooltip).toContain('context: no completion yet');
    expect(describeContext(512, null)).toBe('512 tokens');
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(1234567)).toBe('1,234,567');
  });

  it('shows completions turned off, globally or for the language', () => {
    expect(describeStatus({ phase: 'running', enabled: false, status: READY }).text).toBe('$(circle-slash) hirope');
    const off = describeStatus({ phase: 'running', enabled: true, offForLanguage: 'markdown', status: READY });
    expect(off.tooltip).toContain('off for markdown');
  });

  it('shows a server that failed or stopped', () => {
    const failed = describeStatus({ phase: 'failed', enabled: true, failure: 'cannot find hirope-lsp' });
    expect(failed).toMatchObject({ text: '$(error) hirope', severity: 'error' });
    expect(failed.tooltip).toContain('cannot find hirope-lsp');
    expect(describeStatus({ phase: 'stopped', enabled: true, status: READY }).severity).toBe('warning');
  });

  it('formats latencies', () => {
    expect(formatLatency(240.4)).toBe('240 ms');
    expect(formatLatency(2345)).toBe('2.3 s');
  });
});

describe('StatusBar', () => {
  it('follows hirope/status notifications and the connection', () => {
    const bar = new StatusBar('hirope.showMenu');
    const item = statusBarItems[0]!;
    expect(item).toMatchObject({ visible: true, command: 'hirope.showMenu', text: '$(loading~spin) hirope' });
    bar.setPhase('running');
    bar.onStatus({ ...READY, state: 'loading', lastLatencyMs: null });
    expect(item.text).toBe('$(loading~spin) hirope: loading model');
    bar.onStatus({ not: 'a status' });
    expect(item.text).toBe('$(loading~spin) hirope: loading model');
    bar.onStatus({ ...READY, indexing: true });
    expect(item.text).toBe('$(sync~spin) hirope: indexing');
    bar.onStatus(READY);
    expect(item.text).toBe('$(check) hirope 240 ms');
    expect(item.tooltip).toContain('context: 2,048 of 32,672 tokens');
    expect(item.backgroundColor).toBeUndefined();
    bar.setEnabled(false);
    expect(item.text).toBe('$(circle-slash) hirope');
    bar.setEnabled(true);
    bar.onStatus({ ...READY, state: 'error', error: 'out of memory' });
    expect(item.backgroundColor).toMatchObject({ id: 'statusBarItem.errorBackground' });
    bar.setPhase('failed', 'the server exited');
    expect(item.tooltip).toContain('the server exited');
    bar.setPhase('starting');
    expect(bar.view.status).toBeUndefined();
    bar.dispose();
    expect(item.disposed).toBe(true);
  });
});
