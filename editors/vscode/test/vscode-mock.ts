/**
 * A stand-in for the `vscode` module in unit tests (vitest.config.mts aliases `vscode` to this file):
 * configuration backed by package.json's defaults plus user and workspace values the test sets, and
 * status bar items the test can read.
 */

import { readFileSync } from 'node:fs';

interface Contributed {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
}

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Contributed;

/** package.json's defaults, by full key (`hirope.model.spec`). */
export const defaults: Record<string, unknown> = Object.fromEntries(
  Object.entries(manifest.contributes.configuration.properties).map(([key, schema]) => [key, schema.default]),
);

export const userValues: Record<string, unknown> = {};
export const workspaceValues: Record<string, unknown> = {};
export const statusBarItems: MockStatusBarItem[] = [];

export function resetMock(): void {
  for (const store of [userValues, workspaceValues]) {
    for (const key of Object.keys(store)) {
      delete store[key];
    }
  }
  statusBarItems.length = 0;
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class MockStatusBarItem {
  text = '';
  tooltip: string | undefined;
  name: string | undefined;
  command: string | undefined;
  backgroundColor: ThemeColor | undefined;
  visible = false;
  disposed = false;

  constructor(
    readonly id: string,
    readonly alignment: StatusBarAlignment,
    readonly priority: number,
  ) {}

  show(): void {
    this.visible = true;
  }

  hide(): void {
    this.visible = false;
  }

  dispose(): void {
    this.disposed = true;
  }
}

export const window = {
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority: number): MockStatusBarItem {
    const item = new MockStatusBarItem(id, alignment, priority);
    statusBarItems.push(item);
    return item;
  },
};

class Configuration {
  constructor(private readonly section: string) {}

  private full(key: string): string {
    return this.section ? `${this.section}.${key}` : key;
  }

  get<T>(key: string, fallback?: T): T | undefined {
    const full = this.full(key);
    for (const store of [workspaceValues, userValues, defaults]) {
      if (full in store && store[full] !== undefined) {
        return store[full] as T;
      }
    }
    return fallback;
  }

  inspect<T>(key: string): { key: string; defaultValue?: T; globalValue?: T; workspaceValue?: T } | undefined {
    const full = this.full(key);
    if (!(full in defaults)) {
      return undefined;
    }
    return {
      key: full,
      defaultValue: defaults[full] as T,
      globalValue: userValues[full] as T | undefined,
      workspaceValue: workspaceValues[full] as T | undefined,
    };
  }

  async update(key: string, value: unknown, target: ConfigurationTarget): Promise<void> {
    const store = target === ConfigurationTarget.Global ? userValues : workspaceValues;
    store[this.full(key)] = value;
  }
}

export const workspace = {
  getConfiguration(section = ''): Configuration {
    return new Configuration(section);
  },
};
