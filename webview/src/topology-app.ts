// The page: wires the bridge connection, the model and the views together. Owns everything it
// creates; dispose() stops the socket, the simulation and the animations.
import type { BridgeMessage } from '@node-core/topology';
import { ActivityAnimator } from './activity-animator';
import { BridgeConnection } from './bridge-connection';
import type { BridgeConfig } from './bridge-config';
import { DetailsPanel } from './details-panel';
import { htmlElement } from './dom';
import { GraphLayout } from './graph-layout';
import { GraphView } from './graph-view';
import { PeerList } from './peer-list';
import { StatusLine } from './status-line';
import { TopologyModel } from './topology-model';
import { TrafficLayer } from './traffic-layer';
import { TrafficModel } from './traffic-model';

/** Changes arrive in bursts (a peer joining brings several links): draw once per burst. */
const RENDER_COALESCE_MS = 16;
/** Rates and the chart move on with the clock, also between reports (a transfer that stopped decays). */
const TRAFFIC_REDRAW_MS = 1000;

export class TopologyApp {
  private readonly model = new TopologyModel();
  private readonly layout = new GraphLayout();
  private readonly graph = new GraphView(this.layout, (id) => this.select(id));
  private readonly animator = new ActivityAnimator(this.graph, (id) => this.model.neighborsOf(id));
  private readonly details = new DetailsPanel((id) => this.select(id));
  private readonly peerList = new PeerList((id) => this.select(id, true));
  private readonly status = new StatusLine();
  private readonly traffic = new TrafficModel();
  private readonly trafficLayer = new TrafficLayer(this.graph, this.layout);
  private readonly trafficTimer = setInterval(() => this.renderTraffic(), TRAFFIC_REDRAW_MS);
  private trafficShown = false;
  private readonly fingerToggle = htmlElement('input', { type: 'checkbox', id: 'show-fingers' });
  private readonly fingerControl = htmlElement(
    'label',
    { class: 'finger-control', hidden: '' },
    this.fingerToggle,
    ' Show fingers',
  );
  private readonly connection: BridgeConnection;
  private selected: string | undefined;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(root: HTMLElement, config: BridgeConfig) {
    root.dataset.host = config.host;
    const header = htmlElement(
      'header',
      { class: 'toolbar' },
      htmlElement('h1', {}, 'P2P topology'),
      this.fingerControl,
      this.status.element,
    );
    const graphRegion = htmlElement('main', { class: 'graph-region', 'aria-label': 'Topology' }, this.graph.svg);
    const side = htmlElement('div', { class: 'side' }, this.details.element, this.peerList.element);
    root.append(htmlElement('div', { class: 'app' }, header, graphRegion, side));
    this.fingerToggle.addEventListener('change', () => this.render());
    this.connection = new BridgeConnection(
      config.webSocketUrl,
      (m) => this.receive(m),
      (s) => this.status.setStatus(s),
    );
    this.render();
  }

  start(): void {
    this.connection.start();
  }

  dispose(): void {
    clearTimeout(this.renderTimer);
    clearInterval(this.trafficTimer);
    this.connection.dispose();
    this.animator.dispose();
    this.layout.stop();
    this.graph.dispose();
  }

  private receive(message: BridgeMessage): void {
    if (message.type === 'traffic') {
      this.traffic.record(message, performance.now());
      this.renderTraffic();
      return;
    }
    const activity = this.model.apply(message);
    if (activity) {
      this.flushRender(); // the animation needs the links it runs along
      this.animator.play(activity);
      return;
    }
    this.renderTimer ??= setTimeout(() => this.flushRender(), RENDER_COALESCE_MS);
  }

  private flushRender(): void {
    if (this.renderTimer === undefined) return;
    clearTimeout(this.renderTimer);
    this.renderTimer = undefined;
    this.render();
  }

  private render(): void {
    const peers = this.model.peerList();
    this.fingerControl.hidden = !peers.some((p) => p.mode === 'chord');
    this.graph.render(this.model, this.fingerToggle.checked);
    if (this.selected && !this.model.peer(this.selected)) this.selected = undefined;
    this.graph.select(this.selected);
    this.details.show(this.selected ? this.model.peer(this.selected) : undefined, this.model);
    if (this.selected) this.details.showTraffic(this.traffic.history(this.selected, performance.now()));
    this.peerList.render(this.model, this.selected);
    this.status.setCounts(peers.length, this.model.links().length);
  }

  private renderTraffic(): void {
    const now = performance.now();
    const active = this.traffic.active(now);
    if (!active && !this.trafficShown) return;
    this.trafficShown = active;
    this.trafficLayer.render(this.traffic.linkRates(now));
    if (this.selected) this.details.showTraffic(this.traffic.history(this.selected, now));
  }

  private select(id: string | undefined, focusGraph = false): void {
    this.selected = id && this.model.peer(id) ? id : undefined;
    this.graph.select(this.selected);
    this.details.show(this.selected ? this.model.peer(this.selected) : undefined, this.model);
    if (this.selected) this.details.showTraffic(this.traffic.history(this.selected, performance.now()));
    this.peerList.render(this.model, this.selected);
    if (focusGraph && this.selected) this.graph.focusPeer(this.selected);
  }
}
