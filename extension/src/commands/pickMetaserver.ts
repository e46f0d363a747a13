// Join Network, step 2: which metadata server. The quick pick offers the default address (this
// window's server, or the settings'), the networks announced on the LAN (mDNS, browsed for
// BROWSE_MS while the pick is open), and "Type an address…". Announcements are strangers'
// words: node-core's browser checked them, and they are shown as plain text, never as icons.

import * as vscode from 'vscode';
import type { FoundNetwork } from '@node-core/discovery/dns-sd';
import { ipv4Interfaces } from '@node-core/discovery/interfaces';
import { MdnsBrowser } from '@node-core/discovery/mdns-browser';
import { addressProblem } from './commandArgs';
import { required } from './commandRunner';

const BROWSE_MS = 5000;
const STEP_TITLE = 'P2P: Join Network (2/4)';

type MetaserverItem = vscode.QuickPickItem & { address?: string; typeIn?: boolean };

/** Resolves to `host:port`; a dismissed pick or input box ends the command quietly (`required`). */
export async function pickMetaserver(
  defaultAddress: string,
  defaultSource: string,
  interfaces: string[] | undefined,
): Promise<string> {
  const picked = await new MetaserverPicker(defaultAddress, defaultSource).choose(interfaces);
  if (!picked?.typeIn) return required(picked?.address);
  const typed = await vscode.window.showInputBox({
    title: STEP_TITLE,
    prompt: 'Metadata server address (host:port)',
    value: defaultAddress,
    validateInput: addressProblem,
  });
  return required(typed).trim();
}

/** One open quick pick and the browse behind it; both end when the pick is hidden. */
class MetaserverPicker {
  private readonly pick = vscode.window.createQuickPick<MetaserverItem>();
  private readonly fixed: MetaserverItem;
  private readonly typeIn: MetaserverItem = { label: '$(edit) Type an address…', alwaysShow: true, typeIn: true };
  private found: FoundNetwork[] = [];
  private lanNote = 'looking…';
  private browser: MdnsBrowser | undefined;
  private stopTimer: NodeJS.Timeout | undefined;
  private hidden = false;

  constructor(defaultAddress: string, defaultSource: string) {
    this.fixed = { label: defaultAddress, description: defaultSource, address: defaultAddress };
    this.pick.title = STEP_TITLE;
    this.pick.placeholder = 'Metadata server: the default, one found on the LAN, or type an address';
    this.pick.matchOnDescription = true;
  }

  choose(interfaces: string[] | undefined): Promise<MetaserverItem | undefined> {
    this.render();
    this.pick.busy = true;
    this.pick.show();
    void this.browse(interfaces);
    return new Promise((resolve) => {
      this.pick.onDidAccept(() => {
        resolve(this.pick.selectedItems[0]);
        this.pick.hide();
      });
      this.pick.onDidHide(() => {
        this.hidden = true;
        this.endBrowse('');
        resolve(undefined);
        this.pick.dispose();
      });
    });
  }

  private async browse(interfaces: string[] | undefined): Promise<void> {
    let browser: MdnsBrowser;
    try {
      browser = await MdnsBrowser.start({ interfaces: ipv4Interfaces(interfaces) });
    } catch (err) {
      return this.endBrowse(`unavailable: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.hidden) return void browser.close();
    this.browser = browser;
    browser.on('change', (networks) => {
      this.found = networks;
      this.lanNote = `${networks.length}, looking…`;
      this.render();
    });
    this.stopTimer = setTimeout(() => this.endBrowse('none'), BROWSE_MS);
  }

  private endBrowse(note: string): void {
    clearTimeout(this.stopTimer);
    if (this.browser) this.found = this.browser.networks;
    void this.browser?.close();
    this.browser = undefined;
    if (this.hidden) return;
    this.pick.busy = false;
    this.lanNote = this.found.length === 0 ? note : `${this.found.length}`;
    this.render();
  }

  /** New items reset the highlight, so the one the user was on is kept. */
  private render(): void {
    const active = this.pick.activeItems[0];
    const lan = this.found.map(networkItem);
    this.pick.items = [
      this.fixed,
      { label: `Found on the LAN (${this.lanNote})`, kind: vscode.QuickPickItemKind.Separator },
      ...lan,
      { label: '', kind: vscode.QuickPickItemKind.Separator },
      this.typeIn,
    ];
    const keep = active?.typeIn
      ? this.typeIn
      : [this.fixed, ...lan].find((i) => active && i.address === active.address);
    if (keep) this.pick.activeItems = [keep];
  }
}

function networkDetail(network: FoundNetwork): string | undefined {
  const parts = [
    ...(network.fingerprint ? [`key ${network.fingerprint.slice(0, 16)}…`] : []),
    ...(network.needsKey ? ['needs the network key (P2P: Set Network Key)'] : []),
  ];
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

function networkItem(network: FoundNetwork): MetaserverItem {
  const address = `${network.host}:${network.port}`;
  return {
    // the name was checked to hold no `$(`, so it cannot draw an icon; the one icon is ours
    label: `$(broadcast) ${network.name}`,
    description: address,
    detail: networkDetail(network),
    address,
  };
}
