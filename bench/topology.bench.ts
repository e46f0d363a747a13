// Topology page performance with 200 peers:
//  1. layout: d3-force ticks and milliseconds until the simulation settles (in Node, the same
//     GraphLayout the page uses, without drawing);
//  2. drawing: frame times in a real Chromium while the simulation runs (requestAnimationFrame
//     deltas measured inside the page), fed by a real bridge.
// Standalone: `node --import tsx bench/topology.bench.ts` (needs `npm run build` for dist/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { TopologyBridge } from '@node-core/bridge';
import { InMemoryTopology, buildMesh } from '../test/web/support/in-memory-topology';
import { launchChromium } from '../test/web/support/chromium';
import { GraphLayout } from '../webview/src/graph-layout';
import { TopologyModel } from '../webview/src/topology-model';
import { median } from './stats';

const PEERS = 200;
const LAYOUT_RUNS = 5;
const FRAME_SAMPLE_MS = 3000;

interface LayoutFigures {
  ticks: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  medianCpuMs: number;
}
interface FrameFigures {
  firstDrawMs: number;
  mainThreadPerFrameMs: Record<string, number>;
  frames: number;
  meanMs: number;
  p95Ms: number;
  maxMs: number;
  drawnPeers: number;
  drawnLinks: number;
}

function meshTopology(): InMemoryTopology {
  const topology = new InMemoryTopology();
  buildMesh(topology, PEERS);
  return topology;
}

export function measureLayout(): LayoutFigures {
  const model = new TopologyModel();
  model.apply({ type: 'snapshot', topology: meshTopology().snapshot() });
  const times: number[] = [];
  // CPU time too: on a shared machine wall time mostly measures the neighbours.
  const cpuTimes: number[] = [];
  let ticks = 0;
  for (let run = 0; run < LAYOUT_RUNS; run++) {
    const layout = new GraphLayout(false);
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    layout.update(model.peerList(), model.links());
    ticks = layout.settle();
    const cpu = process.cpuUsage(cpuStarted);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
    times.push(performance.now() - started);
    layout.stop();
  }
  times.sort((a, b) => a - b);
  cpuTimes.sort((a, b) => a - b);
  return {
    ticks,
    medianMs: median(times),
    minMs: times[0],
    maxMs: times[times.length - 1],
    medianCpuMs: median(cpuTimes),
  };
}

export async function measureFrames(): Promise<FrameFigures> {
  const topology = meshTopology();
  const bridge = new TopologyBridge(topology, { host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  try {
    const { url } = await bridge.listen();
    const page = await browser.context.newPage();
    const navigated = performance.now();
    await page.goto(url);
    await page.locator(`[data-peer-id="p${PEERS - 1}"]`).waitFor({ state: 'attached' });
    const firstDrawMs = performance.now() - navigated;
    // Main-thread time by kind over the sample (CDP Performance metrics), per frame.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () =>
      Object.fromEntries(
        ((await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics.map(
          (m) => [m.name, m.value],
        ),
      );
    const before = await metrics();
    // A string, not a closure: tsx would wrap named inner functions in a helper the page lacks.
    const deltas = await page.evaluate<number[]>(`new Promise((resolve) => {
      const out = [];
      let last = performance.now();
      const end = last + ${FRAME_SAMPLE_MS};
      const frame = (now) => {
        out.push(now - last);
        last = now;
        if (now < end) requestAnimationFrame(frame); else resolve(out);
      };
      requestAnimationFrame(frame);
    })`);
    const after = await metrics();
    const perFrame = (name: string) => ((after[name] - before[name]) * 1000) / deltas.length;
    const mainThreadPerFrameMs = Object.fromEntries(
      ['TaskDuration', 'ScriptDuration', 'RecalcStyleDuration', 'LayoutDuration'].map((n) => [n, perFrame(n)]),
    );
    mkdirSync('bench-results', { recursive: true });
    await page.screenshot({ path: 'bench-results/topology-200.png' });
    const sorted = [...deltas].sort((a, b) => a - b);
    return {
      firstDrawMs,
      mainThreadPerFrameMs,
      frames: deltas.length,
      meanMs: deltas.reduce((s, d) => s + d, 0) / deltas.length,
      p95Ms: sorted[Math.floor(sorted.length * 0.95)],
      maxMs: sorted[sorted.length - 1],
      drawnPeers: await page.locator('[data-peer-id]').count(),
      drawnLinks: await page.locator('[data-link]').count(),
    };
  } finally {
    await browser.close();
    await bridge.close();
  }
}

export async function run(): Promise<void> {
  // Shared machines skew frame times: print the load so a figure can be read in context.
  console.log(
    `\nmachine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}`,
  );
  const layout = measureLayout();
  console.log(
    `topology layout, ${PEERS} peers (Node, d3-force): settles in ${layout.ticks} ticks, ` +
      `median ${layout.medianMs.toFixed(1)} ms wall ` +
      `(min ${layout.minMs.toFixed(1)}, max ${layout.maxMs.toFixed(1)}), ` +
      `${layout.medianCpuMs.toFixed(1)} ms CPU, over ${LAYOUT_RUNS} runs ` +
      `(${(layout.medianCpuMs / layout.ticks).toFixed(2)} ms CPU per tick)`,
  );
  const frames = await measureFrames();
  console.log(
    `topology page, ${PEERS} peers (Chromium, headless): first full draw ${frames.firstDrawMs.toFixed(0)} ms ` +
      `after navigation; ${frames.frames} frames in ${FRAME_SAMPLE_MS} ms while the simulation runs; ` +
      `frame time mean ${frames.meanMs.toFixed(1)} ms, p95 ${frames.p95Ms.toFixed(1)} ms, ` +
      `max ${frames.maxMs.toFixed(1)} ms; ` +
      `drew ${frames.drawnPeers} peers, ${frames.drawnLinks} links`,
  );
  const m = frames.mainThreadPerFrameMs;
  console.log(
    `  main thread per frame: ${m.TaskDuration.toFixed(1)} ms busy, of which script ${m.ScriptDuration.toFixed(1)}, ` +
      `style ${m.RecalcStyleDuration.toFixed(1)}, layout ${m.LayoutDuration.toFixed(1)} ` +
      '(the rest: paint and compositing)',
  );
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/topology.json', `${JSON.stringify({ peers: PEERS, layout, frames }, null, 2)}\n`);
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
