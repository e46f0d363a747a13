// The same network as a plain list, for screen readers and keyboard users: one item per peer
// with its neighbours. Items carry data-peer-item (not data-peer-id, which is the graph's).
import { htmlElement } from './dom';
import type { TopologyModel } from './topology-model';

export class PeerList {
  private readonly list = htmlElement('ul', { class: 'peer-list', 'aria-label': 'Peers and their neighbours' });
  readonly element = htmlElement(
    'section',
    { class: 'peer-list-section', 'aria-labelledby': 'peer-list-heading' },
    htmlElement('h2', { id: 'peer-list-heading' }, 'Peers'),
    this.list,
  );

  constructor(private readonly onSelect: (id: string) => void) {}

  render(model: TopologyModel, selected: string | undefined): void {
    // Rebuilding the list must not throw a keyboard user's focus away.
    const focused = document.activeElement?.closest('[data-peer-item]')?.getAttribute('data-peer-item');
    const items = model.peerList().map((peer) => {
      const neighbors = model.neighborsOf(peer.id);
      const button = htmlElement(
        'button',
        { type: 'button', class: 'link-button', 'aria-pressed': String(peer.id === selected) },
        peer.id,
      );
      button.addEventListener('click', () => this.onSelect(peer.id));
      return htmlElement(
        'li',
        { 'data-peer-item': peer.id },
        button,
        ` ${peer.mode}, ${peer.host}:${peer.port}; neighbours: ${neighbors.length > 0 ? neighbors.join(', ') : 'none'}`,
      );
    });
    this.list.replaceChildren(...items);
    if (items.length === 0) this.list.append(htmlElement('li', { class: 'hint' }, 'No peers yet.'));
    if (focused)
      this.list.querySelector<HTMLButtonElement>(`[data-peer-item="${CSS.escape(focused)}"] button`)?.focus();
  }
}
