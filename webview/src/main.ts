// Entry of the topology page (dist/webview.js): the same bundle runs standalone (served by the
// bridge) and inside the VS Code panel; readBridgeConfig tells them apart.
import './styles.css';
import { readBridgeConfig } from './bridge-config';
import { TopologyApp } from './topology-app';

const app = new TopologyApp(document.body, readBridgeConfig(document, location));
app.start();
window.addEventListener('pagehide', () => app.dispose());
