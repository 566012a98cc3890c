/**
 * The `hirope.*` VS Code settings, and how they map to the server's settings tree.
 *
 * Pure: no `vscode` import. The server reads a tree of camelCase keys from initializationOptions and
 * workspace/didChangeConfiguration ({settings: {hirope: tree}}); see hirope_lsp/config.py.
 */

/** The VS Code configuration section: every setting is `hirope.<key>`. */
export const SECTION = 'hirope';

/** The `hirope.*` keys sent to the server, each as the dotted path of its place in the server's tree. */
export const SERVER_KEYS = [
  'model.spec',
  'model.dtype',
  'model.decodeDtype',
  'model.rope',
  'model.window',
  'model.split',
  'model.unitScale',
  'model.unitTokens',
  'model.maxTokens',
  'model.maxLineTokens',
  'model.multiline',
  'prompt.contextMultiple',
  'prompt.coldTokens',
  'prompt.latencyMs',
  'index.maxFileBytes',
  'logLevel',
] as const;

/** The `hirope.*` keys the extension keeps to itself (the server would reject them as unknown). */
export const CLIENT_KEYS = ['enable', 'languages', 'completionMenu', 'serverPath', 'trace.server'] as const;

export type ServerKey = (typeof SERVER_KEYS)[number];

/** The server's settings tree: `{model: {spec, ...}, prompt: {...}, index: {...}, logLevel}`. */
export interface ServerSettings {
  [key: string]: unknown;
}

/** Reads one `hirope.*` setting by its key after `hirope.` (undefined when it has no value). */
export type SettingGetter = (key: string) => unknown;

/**
 * The server's settings tree from the flat `hirope.*` settings. A setting without a value is left out
 * (the server uses its default); values are passed as they are, and the server reports invalid ones.
 */
export function toServerSettings(get: SettingGetter): ServerSettings {
  const tree: ServerSettings = {};
  for (const key of SERVER_KEYS) {
    const value = get(key);
    if (value === undefined) {
      continue;
    }
    const path = key.split('.');
    let node = tree;
    for (const part of path.slice(0, -1)) {
      const child = node[part];
      if (typeof child === 'object' && child !== null) {
        node = child as ServerSettings;
      } else {
        const created: ServerSettings = {};
        node[part] = created;
        node = created;
      }
    }
    node[path[path.length - 1]!] = value;
  }
  return tree;
}

/** The params of workspace/didChangeConfiguration (the server takes the tree under "hirope"). */
export function didChangeConfigurationParams(tree: ServerSettings): { settings: { [SECTION]: ServerSettings } } {
  return { settings: { [SECTION]: tree } };
}

/** Whether two settings trees are the same (so that a change to a client-side setting sends nothing). */
export function sameSettings(a: ServerSettings, b: ServerSettings): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/**
 * Whether completions are on for a document's language: `enable` is the global switch, `languages`
 * maps language ids to true/false, with `*` for every language it does not name (default: on).
 */
export function isEnabledFor(languageId: string, enable: unknown, languages: unknown): boolean {
  if (enable === false) {
    return false;
  }
  if (typeof languages !== 'object' || languages === null) {
    return true;
  }
  const table = languages as Record<string, unknown>;
  const own = table[languageId];
  if (typeof own === 'boolean') {
    return own;
  }
  const fallback = table['*'];
  return typeof fallback === 'boolean' ? fallback : true;
}
