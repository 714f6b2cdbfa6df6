export { DataPlane, type DataPlaneOptions, type Hop, type NodePortGate, type BindFailure } from './dataplane.js';
export { HTTPD_INDEX } from './httpd.js';
