export { MetadataServer, type MetadataServerOptions } from './metadata-server';
export { MetaserverClient, fetchTopology, type MetaserverClientOptions } from './metaserver-client';
export { PeerRegistry, type RegisteredPeer } from './peer-registry';
