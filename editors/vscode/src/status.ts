/**
 * The server's `hirope/status` body, and what the status bar item shows for it.
 *
 * Pure: no `vscode` import. The body (hirope_lsp/server/server.py, HiropeServer.status):
 * {model, state: "loading"|"ready"|"error", error, rope, window, split, indexing, filesIndexed, lastLatencyMs,
 * contextTokens, contextLimit}. contextTokens is how far the context has grown (null before the first
 * completion), contextLimit how far it may grow (hirope_lsp/server/context.py).
 */

export const STATUS_METHOD = 'hirope/status';

export type ModelState = 'loading' | 'ready' | 'error';

export interface ServerStatus {
  model: string;
  state: ModelState;
  error: string | null;
  rope: string;
  window: number;
  split: number | null;
  /** The initial scan of the workspace is running. */
  indexing: boolean;
  filesIndexed: number;
  lastLatencyMs: number | null;
  /** How far the context has grown, in tokens; null before the first completion. */
  contextTokens: number | null;
  /** How far the context may grow, in tokens; null before the first completion. */
  contextLimit: number | null;
}

/** Where the connection to the server stands (the extension's side). */
export type ClientPhase = 'starting' | 'running' | 'stopped' | 'failed';

export interface StatusView {
  /** The status bar text, with a codicon. */
  text: string;
  tooltip: string;
  /** 'error' and 'warning' colour the item's background. */
  severity: 'normal' | 'warning' | 'error';
}

export interface ViewInput {
  phase: ClientPhase;
  status?: ServerStatus | undefined;
  /** Why the client failed (phase 'failed'). */
  failure?: string | undefined;
  /** The global switch (hirope.enable). */
  enabled: boolean;
  /** The active editor's language id, when it has completions turned off. */
  offForLanguage?: string | undefined;
}

/** A status body from the wire, or undefined when it is not one (fields the client does not use may be missing). */
export function parseStatus(raw: unknown): ServerStatus | undefined {
  if (typeof raw !== 'object' || raw === null) {
    return undefined;
  }
  const body = raw as Record<string, unknown>;
  const state = body['state'];
  if (state !== 'loading' && state !== 'ready' && state !== 'error') {
    return undefined;
  }
  return {
    model: typeof body['model'] === 'string' ? body['model'] : '',
    state,
    error: typeof body['error'] === 'string' ? body['error'] : null,
    rope: typeof body['rope'] === 'string' ? body['rope'] : '',
    window: typeof body['window'] === 'number' ? body['window'] : 0,
    split: typeof body['split'] === 'number' ? body['split'] : null,
    indexing: body['indexing'] === true,
    filesIndexed: typeof body['filesIndexed'] === 'number' ? body['filesIndexed'] : 0,
    lastLatencyMs: typeof body['lastLatencyMs'] === 'number' ? body['lastLatencyMs'] : null,
    contextTokens: typeof body['contextTokens'] === 'number' ? body['contextTokens'] : null,
    contextLimit: typeof body['contextLimit'] === 'number' ? body['contextLimit'] : null,
  };
}

/** What the status bar item shows. */
export function describeStatus(input: ViewInput): StatusView {
  const footer = '\nClick for hirope commands.';
  if (input.phase === 'failed') {
    return {
      text: '$(error) hirope',
      tooltip: `hirope: the server is not running${input.failure ? `: ${input.failure}` : ''}${footer}`,
      severity: 'error',
    };
  }
  if (input.phase === 'stopped') {
    return { text: '$(debug-stop) hirope', tooltip: `hirope: the server is stopped${footer}`, severity: 'warning' };
  }
  const status = input.status;
  if (input.phase === 'starting' || status === undefined) {
    return { text: '$(loading~spin) hirope', tooltip: `hirope: starting the server${footer}`, severity: 'normal' };
  }
  const details = statusDetails(status);
  if (status.state === 'error') {
    return {
      text: '$(error) hirope: model error',
      tooltip: `hirope: cannot load the model ${status.model || '(unknown)'}: ${status.error ?? 'unknown error'}\n${details}${footer}`,
      severity: 'error',
    };
  }
  if (status.state === 'loading') {
    return {
      text: '$(loading~spin) hirope: loading model',
      tooltip: `hirope: loading the model ${status.model}\n${details}${footer}`,
      severity: 'normal',
    };
  }
  if (status.indexing) {
    const off = !input.enabled
      ? ' (completions are off)'
      : input.offForLanguage !== undefined
        ? ` (completions are off for ${input.offForLanguage})`
        : '';
    return {
      text: '$(sync~spin) hirope: indexing',
      tooltip: `hirope: indexing the workspace${off}\n${details}${footer}`,
      severity: 'normal',
    };
  }
  if (!input.enabled) {
    return { text: '$(circle-slash) hirope', tooltip: `hirope: completions are off\n${details}${footer}`, severity: 'normal' };
  }
  if (input.offForLanguage !== undefined) {
    return {
      text: '$(circle-slash) hirope',
      tooltip: `hirope: completions are off for ${input.offForLanguage} (hirope.languages)\n${details}${footer}`,
      severity: 'normal',
    };
  }
  const latency = status.lastLatencyMs === null ? '' : ` ${formatLatency(status.lastLatencyMs)}`;
  return { text: `$(check) hirope${latency}`, tooltip: `hirope: ready\n${details}${footer}`, severity: 'normal' };
}

/** The lines of the tooltip that describe the server's state. */
export function statusDetails(status: ServerStatus): string {
  const split = status.split === null ? 'critical-dimension rule' : String(status.split);
  const rope = status.rope === 'hirope' ? `hirope (window ${status.window}, split ${split})` : status.rope || 'unknown';
  const lines = [
    `model: ${status.model || '(none)'}`,
    `rope: ${rope}`,
    `files indexed: ${status.filesIndexed}${status.indexing ? ' (indexing)' : ''}`,
    `last latency: ${status.lastLatencyMs === null ? 'no completion yet' : formatLatency(status.lastLatencyMs)}`,
    `context: ${describeContext(status.contextTokens, status.contextLimit)}`,
  ];
  return lines.join('\n');
}

/** How far the context has grown: it starts small and grows while the editor is idle (server/context.py). */
export function describeContext(tokens: number | null, limit: number | null): string {
  if (tokens === null) {
    return 'no completion yet';
  }
  if (limit === null) {
    return `${formatCount(tokens)} tokens`;
  }
  const growing = tokens < limit ? ' (grows while idle, as far as hirope.prompt.latencyMs allows)' : ' (full)';
  return `${formatCount(tokens)} of ${formatCount(limit)} tokens${growing}`;
}

/** An integer with thousands separators (2,048), the same in every locale. */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatLatency(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
