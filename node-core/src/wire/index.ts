// The wire protocol: frames, the message table, connections. See messages.ts for the table.
export { P2PError, toP2PError } from './errors';
export {
  encodeFrame,
  encodeFramePrefix,
  FrameDecoder,
  MAX_CHUNK_BYTES,
  MAX_FRAME_BYTES,
  MAX_HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  payloadWithHeadroom,
} from './frame';
export {
  decodeMessage,
  MESSAGES,
  PROTOCOL_VERSION,
  type AnyMessage,
  type Message,
  type MessageSpec,
  type MessageType,
} from './messages';
export { isFileName, isPeerId, MAX_ID_LENGTH, MAX_NAME_LENGTH, type Kind } from './fields';
export {
  Connection,
  type ConnectionOptions,
  type LinkCredentials,
  type Incoming,
  type MessageHandler,
  type RequestOptions,
} from './connection';
export { dial, WireServer, type DialOptions, type RelayRoute } from './server';
export { anonymousSecurity, ephemeralSecurity, type ChannelSecurity } from './secure-channel';
export { NodeIdentity, fingerprintOf, isFingerprint } from './identity';
export {
  formatHostPort,
  metaserverOfPin,
  metaserverPinId,
  type ExpectedKey,
  type MetaserverPin,
} from './metaserver-pin';
export { readAllowList, TrustStore, type BlockedPeer, type KeyChange } from './trust-store';
export { DENIED_PEERS_FILE, DenyList } from './deny-list';
export { loadNodeSecurity, STATE_FOLDER, type NodeSecurityOptions } from './node-security';
export { ChunkBufferPool } from './chunk-buffer-pool';
export { payloadPool } from './payload-pool';
