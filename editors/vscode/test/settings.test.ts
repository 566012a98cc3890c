import { beforeEach, describe, expect, it } from 'vitest';

import { completionsOnFor, readServerSettings, toggleCompletions, completionsEnabled } from '../src/config';
import {
  CLIENT_KEYS,
  didChangeConfigurationParams,
  isEnabledFor,
  sameSettings,
  SERVER_KEYS,
  toServerSettings,
} from '../src/settings';
import { defaults, resetMock, userValues, workspaceValues } from './vscode-mock';

/** The server's defaults (README's settings table, hirope_lsp/config.py). */
const SERVER_DEFAULTS = {
  model: {
    spec: 'default',
    dtype: 'float32',
    decodeDtype: 'int4',
    rope: 'hirope',
    window: null,
    split: null,
    unitScale: 24,
    unitTokens: 8,
    maxTokens: 96,
    maxLineTokens: 32,
    multiline: 'auto',
  },
  prompt: { contextMultiple: 2, coldTokens: 512, latencyMs: 300 },
  index: { maxFileBytes: 1_000_000 },
  logLevel: 'info',
};

beforeEach(resetMock);

describe('toServerSettings', () => {
  it('maps the flat hirope.* settings to the server tree', () => {
    const values: Record<string, unknown> = {
      'model.spec': '/models/qwen.gguf',
      'model.rope': 'flat',
      'model.window': 1024,
      'model.split': 0.5,
      'model.maxTokens': 64,
      'model.maxLineTokens': 16,
      'model.multiline': 'line',
      'prompt.contextMultiple': 0.25,
      'prompt.coldTokens': 256,
      'prompt.latencyMs': 1500,
      'index.maxFileBytes': 5000,
      logLevel: 'debug',
    };
    expect(toServerSettings((key) => values[key])).toEqual({
      model: { spec: '/models/qwen.gguf', rope: 'flat', window: 1024, split: 0.5, maxTokens: 64, maxLineTokens: 16, multiline: 'line' },
      prompt: { contextMultiple: 0.25, coldTokens: 256, latencyMs: 1500 },
      index: { maxFileBytes: 5000 },
      logLevel: 'debug',
    });
  });

  it('leaves out settings without a value, and keeps an explicit null', () => {
    expect(toServerSettings(() => undefined)).toEqual({});
    expect(toServerSettings((key) => (key === 'model.split' ? null : undefined))).toEqual({ model: { split: null } });
  });

  it("maps package.json's defaults to the server's defaults", () => {
    expect(toServerSettings((key) => defaults[`hirope.${key}`])).toEqual(SERVER_DEFAULTS);
  });

  it('covers every contributed setting, as a server or a client-side one', () => {
    const contributed = Object.keys(defaults)
      .map((key) => key.replace(/^hirope\./, ''))
      .sort();
    expect(contributed).toEqual([...SERVER_KEYS, ...CLIENT_KEYS].sort());
  });
});

describe('readServerSettings', () => {
  it('sends only what the user set, from user and workspace settings, without client-side ones', () => {
    expect(readServerSettings()).toEqual({});
    userValues['hirope.model.window'] = 1024;
    userValues['hirope.prompt.contextMultiple'] = 1;
    workspaceValues['hirope.prompt.contextMultiple'] = 0.25;
    workspaceValues['hirope.prompt.latencyMs'] = 1000;
    userValues['hirope.prompt.coldTokens'] = 1024;
    userValues['hirope.enable'] = false;
    userValues['hirope.serverPath'] = '/usr/bin/hirope-lsp';
    expect(readServerSettings()).toEqual({
      model: { window: 1024 },
      prompt: { contextMultiple: 0.25, coldTokens: 1024, latencyMs: 1000 },
    });
  });

  it('wraps the tree for workspace/didChangeConfiguration under "hirope"', () => {
    expect(didChangeConfigurationParams({ logLevel: 'debug' })).toEqual({ settings: { hirope: { logLevel: 'debug' } } });
  });
});

describe('sameSettings', () => {
  it('ignores key order and sees changed values', () => {
    expect(sameSettings({ model: { a: 1, b: 2 }, x: null }, { x: null, model: { b: 2, a: 1 } })).toBe(true);
    expect(sameSettings({ model: { a: 1 } }, { model: { a: 2 } })).toBe(false);
    expect(sameSettings({ model: { a: 1 } }, {})).toBe(false);
  });
});

describe('enable per language', () => {
  it('follows hirope.enable, then the language, then "*"', () => {
    const languages = { '*': true, markdown: false };
    expect(isEnabledFor('python', true, languages)).toBe(true);
    expect(isEnabledFor('markdown', true, languages)).toBe(false);
    expect(isEnabledFor('python', false, languages)).toBe(false);
    expect(isEnabledFor('go', true, { '*': false, go: true })).toBe(true);
    expect(isEnabledFor('rust', true, { '*': false, go: true })).toBe(false);
    expect(isEnabledFor('rust', undefined, undefined)).toBe(true);
    expect(isEnabledFor('rust', true, { rust: 'yes' })).toBe(true);
  });

  it("reads VS Code's settings, package.json's defaults first", () => {
    expect(completionsOnFor('python')).toBe(true);
    expect(completionsOnFor('markdown')).toBe(false);
    userValues['hirope.languages'] = { '*': false, python: true };
    expect(completionsOnFor('python')).toBe(true);
    expect(completionsOnFor('typescript')).toBe(false);
  });

  it('toggles completions where hirope.enable is set', async () => {
    expect(await toggleCompletions()).toBe(false);
    expect(userValues['hirope.enable']).toBe(false);
    expect(completionsEnabled()).toBe(false);
    expect(completionsOnFor('python')).toBe(false);
    workspaceValues['hirope.enable'] = false;
    expect(await toggleCompletions()).toBe(true);
    expect(workspaceValues['hirope.enable']).toBe(true);
    expect(userValues['hirope.enable']).toBe(false);
  });
});
