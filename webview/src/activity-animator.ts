// Short animations of what moves through the network: a search's flood hop by hop across the
// links, a download as a pulse from holder to downloader. Driven by requestAnimationFrame and
// the layout's current coordinates, so pulses follow peers that are still settling.
import type { Point } from './graph-layout';
import { setAttributes, svgElement } from './svg';
import type { ActivityMessage } from './topology-model';

const HOP_MS = 450;
const TRANSFER_MS = 900;
/** A transfer stays drawn this long after its last progress message. */
const TRANSFER_LINGER_MS = 1500;

export interface ActivityTarget {
  readonly activityLayer: SVGGElement;
  position(id: string): Point | undefined;
  linkElement(a: string, b: string): SVGElement | undefined;
  peerElement(id: string): SVGElement | undefined;
}

interface Pulse {
  element: SVGCircleElement;
  from: string;
  to: string;
  startsAt: number;
  durationMs: number;
  /** Repeats until this time (transfers); a search hop runs once. */
  until: number;
  onStart?: () => void;
  /** Only after onStart ran. */
  onEnd?: () => void;
  /** Always, started or not. */
  cleanup?: () => void;
  started?: boolean;
}

export class ActivityAnimator {
  private readonly pulses = new Set<Pulse>();
  private readonly transfers = new Map<string, { path: SVGLineElement; pulse: Pulse }>();
  private frame: number | undefined;
  /** With reduced motion, a pulse sits at the hop's destination instead of travelling. */
  private readonly reduceMotion = matchMedia('(prefers-reduced-motion: reduce)');

  constructor(
    private readonly target: ActivityTarget,
    private readonly neighborsOf: (id: string) => string[],
  ) {}

  play(activity: ActivityMessage): void {
    if (activity.type === 'search') this.playSearch(activity.origin, activity.path);
    else this.playTransfer(activity.from, activity.to, activity.name, activity.done);
    this.ensureRunning();
  }

  dispose(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    for (const pulse of this.pulses) this.finish(pulse);
    for (const { path } of this.transfers.values()) path.remove();
    this.transfers.clear();
  }

  /** With a path, hop by hop along it; without one, the first ring of the flood. */
  private playSearch(origin: string, path: string[]): void {
    const hops: Array<[string, string, number]> =
      path.length >= 2
        ? path.slice(1).map((to, i) => [path[i], to, i * HOP_MS])
        : this.neighborsOf(origin).map((to) => [origin, to, 0]);
    const now = performance.now();
    const originElement = this.target.peerElement(origin);
    originElement?.classList.add('searching');
    const total = hops.reduce((max, [, , delay]) => Math.max(max, delay + HOP_MS), HOP_MS);
    setTimeout(() => originElement?.classList.remove('searching'), total);
    for (const [from, to, delay] of hops) {
      const link = this.target.linkElement(from, to);
      this.pulses.add({
        element: svgElement('circle', { class: 'pulse search-pulse', r: 6, 'data-activity': 'search' }),
        from,
        to,
        startsAt: now + delay,
        durationMs: HOP_MS,
        until: now + delay + HOP_MS,
        onStart: () => mark(link, 'flooding', +1),
        onEnd: () => mark(link, 'flooding', -1),
      });
    }
  }

  private playTransfer(from: string, to: string, name: string, done: boolean): void {
    const key = `${from}>${to}:${name}`;
    const now = performance.now();
    const running = this.transfers.get(key);
    if (running) {
      running.pulse.until = done ? now : now + TRANSFER_LINGER_MS;
      return;
    }
    const path = svgElement('line', { class: 'transfer-path', 'data-activity': 'transfer' });
    this.target.activityLayer.append(path);
    const pulse: Pulse = {
      element: svgElement('circle', { class: 'pulse transfer-pulse', r: 7, 'data-activity': 'transfer' }),
      from,
      to,
      startsAt: now,
      durationMs: TRANSFER_MS,
      until: now + (done ? TRANSFER_MS : TRANSFER_LINGER_MS),
      cleanup: () => {
        path.remove();
        this.transfers.delete(key);
      },
    };
    this.transfers.set(key, { path, pulse });
    this.pulses.add(pulse);
  }

  private ensureRunning(): void {
    if (this.frame === undefined) this.frame = requestAnimationFrame((time) => this.step(time));
  }

  private step(now: number): void {
    this.frame = undefined;
    for (const pulse of this.pulses) {
      if (now < pulse.startsAt) continue;
      if (now >= pulse.until && now - pulse.startsAt >= pulse.durationMs) {
        this.finish(pulse);
        continue;
      }
      if (!pulse.started) {
        pulse.started = true;
        this.target.activityLayer.append(pulse.element);
        pulse.onStart?.();
      }
      const a = this.target.position(pulse.from);
      const b = this.target.position(pulse.to);
      if (!a || !b) continue;
      const t = this.reduceMotion.matches ? 1 : ((now - pulse.startsAt) % pulse.durationMs) / pulse.durationMs;
      setAttributes(pulse.element, { cx: (a.x + (b.x - a.x) * t).toFixed(1), cy: (a.y + (b.y - a.y) * t).toFixed(1) });
    }
    for (const { path, pulse } of this.transfers.values()) {
      const a = this.target.position(pulse.from);
      const b = this.target.position(pulse.to);
      if (a && b)
        setAttributes(path, { x1: a.x.toFixed(1), y1: a.y.toFixed(1), x2: b.x.toFixed(1), y2: b.y.toFixed(1) });
    }
    if (this.pulses.size > 0) this.ensureRunning();
  }

  private finish(pulse: Pulse): void {
    this.pulses.delete(pulse);
    pulse.element.remove();
    if (pulse.started) pulse.onEnd?.();
    pulse.cleanup?.();
  }
}

/** Counts overlapping hops on one link so the first to end does not clear the others' mark. */
function mark(element: SVGElement | undefined, className: string, delta: 1 | -1): void {
  if (!element) return;
  const count = Number(element.dataset.activityCount ?? '0') + delta;
  element.dataset.activityCount = String(Math.max(0, count));
  element.classList.toggle(className, count > 0);
}
