// The topology bridge: HTTP + WebSocket view of a TopologySource (see topology-bridge.ts).
export { TopologyBridge, type TopologyBridgeOptions, type BridgeAddress } from './topology-bridge';
export { createAccessToken } from './access-token';
