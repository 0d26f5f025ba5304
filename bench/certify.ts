// `npm run bench -- certify [--people N] [--visits N] [--rounds N]`: a settlement's latency as
// a terminal under test sees it, over HTTP through the certification's recorder
// (compliance/recorder.ts: it records, would play faults, and hands the request to the
// embedded engine in process, as `medcard certify` runs it), against the same settlements
// sent straight to the engine's own HTTP front, alternating in the same run on the same
// engine (PGlite). Goal (issue 19): ≤ 1.1×.
import { PlatformRecorder } from '../compliance';
import { createEngine } from '../engine';
import { PlatformClient, type SettleInput } from '../platform';
import { median, ratioLine } from './format';
import { prepare } from './settle-common';

const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };

async function main() {
  const engine = await createEngine({ world: 'empty' });
  const base = (await engine.listen(0, '127.0.0.1')).url;
  const recorder = await PlatformRecorder.start(engine);
  try {
    const { inputs, client } = await prepare(engine, arg('people', 40), arg('visits', 10));
    const http = (url: string) => {
      const c = new PlatformClient({ url, fixmedinsCode: 'H50000000003', regionCode: '500000', key: 'bench-key', signNo: client.signNo });
      c.clock.set('2024-03-15 09:00:00');
      return c;
    };
    const direct = http(base);
    const recorded = http(recorder.url);
    const one = async (c: PlatformClient, input: SettleInput) => { const t0 = process.hrtime.bigint(); await c.settle(input); return Number(process.hrtime.bigint() - t0) / 1e6; };
    for (const input of inputs.splice(0, 20)) await one(inputs.length % 2 ? direct : recorded, input); // warm-up
    const rounds = Math.min(arg('rounds', 10), Math.floor(inputs.length / 20));
    const through: number[] = [];
    const straight: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate blocks, so a busy moment of the machine falls on both sides alike.
      const block = inputs.splice(0, 20);
      for (const [i, input] of block.entries()) {
        const viaRecorder = (i + r) % 2 === 1;
        (viaRecorder ? through : straight).push(await one(viaRecorder ? recorded : direct, input));
      }
      recorder.begin(); // a recording per action, as certification keeps one
    }
    const a = median(through);
    const b = median(straight);
    console.log(`${through.length + straight.length} settlements over HTTP, half through the recorder: median ${a.toFixed(2)} ms through it, ${b.toFixed(2)} ms direct`);
    console.log(ratioLine('certify-settlement-latency', a, 'ms', 'direct-to-engine', b, 'ms'));
  } finally {
    await recorder.close();
    await engine.close();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
