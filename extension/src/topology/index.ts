// The topology panel (P2P: Show Topology); see topology-panel.ts.
export { TopologyPanel } from './topology-panel';
