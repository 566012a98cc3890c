/** The status bar item: the server's `hirope/status`, the connection's phase and the completion switch. */

import * as vscode from 'vscode';

import { describeStatus, parseStatus, type ClientPhase, type ViewInput } from './status';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private input: ViewInput = { phase: 'starting', enabled: true };

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('hirope.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'hirope';
    this.item.command = command;
    this.render();
    this.item.show();
  }

  /** A `hirope/status` body (notification or request result); anything else is ignored. */
  onStatus(raw: unknown): void {
    const status = parseStatus(raw);
    if (status !== undefined) {
      this.input = { ...this.input, status };
      this.render();
    }
  }

  setPhase(phase: ClientPhase, failure?: string): void {
    const status = phase === 'running' ? this.input.status : undefined;
    this.input = { ...this.input, phase, status, failure };
    this.render();
  }

  setEnabled(enabled: boolean, offForLanguage?: string): void {
    this.input = { ...this.input, enabled, offForLanguage };
    this.render();
  }

  get view(): ViewInput {
    return this.input;
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const view = describeStatus(this.input);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }
}
