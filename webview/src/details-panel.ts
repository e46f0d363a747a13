// The side panel with one peer's details: address, mode, key fingerprint, neighbours (each a
// button that moves the selection, with how its link is secured), shared files, its traffic over
// the last minute (updated in place), and for chord peers the node id and ring neighbours.
import type { TopologyPeer } from '@node-core/topology';
import { htmlElement } from './dom';
import { describeLinkSecurity, type LinkSecurity } from './link-security';
import type { TopologyModel } from './topology-model';
import { trafficChart } from './traffic-chart';
import type { PeerTraffic } from './traffic-model';

export class DetailsPanel {
  readonly element = htmlElement('aside', { class: 'details', 'aria-label': 'Peer details' });
  private readonly trafficSlot = htmlElement('div', { class: 'traffic-slot' });

  constructor(private readonly onSelect: (id: string | undefined) => void) {
    this.show(undefined, undefined);
  }

  show(peer: TopologyPeer | undefined, model: TopologyModel | undefined): void {
    this.element.replaceChildren();
    if (!peer || !model) {
      this.element.append(
        htmlElement(
          'p',
          { class: 'hint' },
          'Select a peer to see its details: click it, or Tab into the graph, ' +
            'move with the arrow keys and press Enter.',
        ),
      );
      return;
    }
    const close = htmlElement('button', { type: 'button', class: 'close', 'aria-label': 'Close details' }, '×');
    close.addEventListener('click', () => this.onSelect(undefined));
    const rows: Array<[string, Node | string]> = [
      ['Address', `${peer.host}:${peer.port}`],
      ['Mode', peer.mode],
      ['Fingerprint', peer.fingerprint ? htmlElement('code', { class: 'fingerprint' }, peer.fingerprint) : 'unknown'],
      ['Neighbours', this.peerButtons(model.neighborsOf(peer.id), (other) => model.linkSecurity(peer.id, other))],
      ['Shared files', fileList(peer.files ?? [])],
      ['Traffic', this.trafficSlot],
    ];
    if (peer.chord) {
      rows.push(
        ['Node id', htmlElement('code', {}, peer.chord.nodeId)],
        ['Predecessor', this.peerButtons(peer.chord.predecessor ? [peer.chord.predecessor] : [])],
        ['Successors', this.peerButtons(peer.chord.successors)],
      );
    }
    const list = htmlElement('dl');
    for (const [term, value] of rows) list.append(htmlElement('dt', {}, term), htmlElement('dd', {}, value));
    this.element.append(
      htmlElement('div', { class: 'details-head' }, htmlElement('h2', {}, `Peer ${peer.id}`), close),
      list,
    );
  }

  /** Redraws only the chart, so a focused button in the panel keeps its focus. */
  showTraffic(traffic: PeerTraffic): void {
    this.trafficSlot.replaceChildren(trafficChart(traffic));
  }

  /** `securityOf`: for neighbours, how the link to each is secured (a lock before its name). */
  private peerButtons(ids: string[], securityOf?: (id: string) => LinkSecurity): Node | string {
    if (ids.length === 0) return 'none';
    const list = htmlElement('ul', { class: 'inline-list' });
    for (const id of ids) {
      const button = htmlElement('button', { type: 'button', class: 'link-button' }, id);
      button.addEventListener('click', () => this.onSelect(id));
      const item = htmlElement('li', {}, button);
      if (securityOf) {
        const security = securityOf(id);
        const described = describeLinkSecurity(security);
        const mark = htmlElement(
          'span',
          { class: 'link-lock', 'data-security': security, title: described, role: 'img', 'aria-label': described },
          security === 'mismatch' ? '⚠' : security === 'plain' ? '' : '🔒',
        );
        item.prepend(mark);
      }
      list.append(item);
    }
    return list;
  }
}

function fileList(files: string[]): Node | string {
  if (files.length === 0) return 'none';
  return htmlElement('ul', { class: 'file-list' }, ...files.map((name) => htmlElement('li', {}, name)));
}
