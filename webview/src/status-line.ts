// Connection status and counts, announced politely to screen readers.
import type { ConnectionStatus } from './bridge-connection';
import { htmlElement } from './dom';

export class StatusLine {
  readonly element = htmlElement('div', { class: 'status', role: 'status', 'data-state': 'connecting' });
  private status: ConnectionStatus = { state: 'connecting' };
  private counts = '';

  setStatus(status: ConnectionStatus): void {
    this.status = status;
    this.paint();
  }

  setCounts(peers: number, links: number): void {
    this.counts = `${peers} peer${peers === 1 ? '' : 's'}, ${links} link${links === 1 ? '' : 's'}`;
    this.paint();
  }

  private paint(): void {
    this.element.dataset.state = this.status.state;
    const text =
      this.status.state === 'open'
        ? `Live · ${this.counts}`
        : this.status.state === 'connecting'
          ? 'Connecting…'
          : `Disconnected (${this.status.reason}); retrying in ${Math.ceil(this.status.retryInMs / 1000)} s`;
    this.element.textContent = text;
  }
}
