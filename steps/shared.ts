// Per-worker resources: the rig and the engine (embedded, started once per worker, or a
// vendor's at --engine-url). cucumber's BeforeAll runs once per worker (ecosystem-notes),
// so everything here is keyed by the worker id and created at most once per process.
import { ControlClient, EvoucherClient, PlatformClient, PlatformError, type EcAnswer, type Response } from '../platform';
import { listRigFiles, openRig, type Rig } from '../rigs';
import type { Upstream } from '../compliance';
import type { InstitutionCtx, RunSettings, Shared } from './types';
import { fail } from './said';

/** How long an institution's clock, once set, is trusted before it is set again (the engine's window is 300 s). */
const CLOCK_REFRESH_MS = 60_000;


/** Settings travel from `medcard run` to the workers in the environment (world parameters are frozen per worker). */
export function settingsFromEnv(): RunSettings {
  return {
    rig: process.env.MEDCARD_RIG || 'emulated',
    engineUrl: process.env.MEDCARD_ENGINE_URL || undefined,
    controlToken: process.env.MEDCARD_CONTROL_TOKEN || undefined,
    databaseUrl: process.env.DATABASE_URL || undefined,
    fixturesDir: process.env.MEDCARD_FIXTURES || undefined,
    terminal: process.env.MEDCARD_TERMINAL || undefined,
  };
}

let shared: Promise<Shared> | undefined;

export function getShared(): Promise<Shared> {
  shared ??= open(settingsFromEnv());
  return shared;
}

export async function closeShared(): Promise<void> {
  if (!shared) return;
  const s = await shared.catch(() => undefined);
  shared = undefined;
  await s?.close();
}

async function open(settings: RunSettings): Promise<Shared> {
  const workerId = Number(process.env.CUCUMBER_WORKER_ID ?? '0') || 0;
  // Listed now, not when rigs/ loaded: a run in this process set MEDCARD_RIGS_DIR after that.
  const rigNames = listRigFiles();
  if (!rigNames.includes(settings.rig)) throw fail({ zh: `没有读卡环境 "${settings.rig}"：请从 ${rigNames.join('、')} 中选择（medcard run --rig <名称>）`, en: `unknown rig "${settings.rig}": choose one of ${rigNames.join(', ')} (medcard run --rig <name>)` });
  let engineUrl = settings.engineUrl;
  let engineKind = 'external';
  let stopEngine: () => Promise<void> = async () => undefined;
  let handle: ((body: unknown) => Promise<Response>) | undefined;
  let ecQuery: ((body: unknown) => Promise<EcAnswer>) | undefined;
  /** Where a terminal under test's recorder forwards: the engine's address, or our engine in this process. */
  let upstream: Upstream | undefined = settings.engineUrl;
  let control: ControlClient;
  /** A new embedded engine in place of the old one: its control client. Absent for an engine at a URL. */
  let renew: (() => Promise<ControlClient>) | undefined;
  const clients = new Map<string, Promise<PlatformClient>>();
  const clocks = new Map<string, { time: string; at: number }>();
  if (!engineUrl) {
    // Loaded only when needed: `--engine-url` runs never load our engine.
    const { createEngine } = require('../engine') as typeof import('../engine');
    const start = () => createEngine({ databaseUrl: settings.databaseUrl, fixturesDir: settings.fixturesDir, world: 'empty' });
    let engine = await start();
    engineKind = `embedded (${engine.backend})`;
    // In-process calls: the same messages as over HTTP, without the socket; always to the engine of now (renewEngine).
    handle = (body) => engine.handle(body);
    ecQuery = (body) => engine.ecQuery(body);
    const controlOf = () => new ControlClient({ handle: (op, body, token) => engine.control(op, body, token), token: engine.controlToken });
    control = controlOf();
    engineUrl = 'in-process';
    stopEngine = () => engine.close();
    upstream = { servePlatform: (method, path, body) => engine.servePlatform(method, path, body) };
    renew = async () => {
      await engine.close();
      engine = await start();
      clients.clear();
      clocks.clear();
      return controlOf();
    };
  } else {
    if (!settings.controlToken) throw fail({ zh: `${engineUrl} 的结算引擎需要本次运行的控制令牌：把 MEDCARD_CONTROL_TOKEN 设为 \`medcard engine\` 打印的令牌（engine/README.md "Control API"）`, en: `the engine at ${engineUrl} needs this run's control token: set MEDCARD_CONTROL_TOKEN to the token \`medcard engine\` printed (engine/README.md "Control API")` });
    control = new ControlClient({ url: engineUrl, token: settings.controlToken });
  }
  const transport = handle ? { handle } : { url: engineUrl };
  async function platformFor(inst: InstitutionCtx, time: string): Promise<PlatformClient> {
    const last = clocks.get(inst.code);
    if (!last || last.time !== time || Date.now() - last.at > CLOCK_REFRESH_MS) {
      await control.setClock([inst.code], time);
      clocks.set(inst.code, { time, at: Date.now() });
    }
    let made = clients.get(inst.code);
    if (!made) {
      const client = new PlatformClient({ ...transport, fixmedinsCode: inst.code, fixmedinsName: inst.name, regionCode: inst.region, key: inst.key });
      client.clock.set(time);
      // A refused sign-in (a non-designated clinic) leaves the client unsigned: the visit then
      // gets the engine's own refusal, which is what such a scenario checks.
      made = client.signIn().then(() => client, (e: unknown) => { if (e instanceof PlatformError) return client; throw e; });
      made.catch(() => clients.delete(inst.code));
      clients.set(inst.code, made);
    }
    const client = await made;
    client.clock.set(time);
    return client;
  }
  let rig: Rig;
  try {
    rig = await openRig(settings.rig, { workerId });
  } catch (err) {
    await stopEngine();
    throw err;
  }
  let tut: Shared['tut'];
  if (settings.terminal) {
    // Certification (medcard certify): the terminal under test is configured with the recorder's address.
    const { loadTerminal, PlatformRecorder } = require('../compliance') as typeof import('../compliance');
    tut = { terminal: loadTerminal(settings.terminal), recorder: await PlatformRecorder.start(upstream!) };
  }
  const evoucherFor = (inst: InstitutionCtx) => new EvoucherClient({ ...(ecQuery ? { handle: ecQuery } : { url: engineUrl }), orgId: inst.code });
  let used = false;
  const out: Shared = {
    rig, control, platformFor, evoucherFor, engineUrl, engineKind, workerId, tut,
    async freshEngine() {
      if (!used) { used = true; return true; }
      if (!renew) return false;
      control = out.control = await renew();
      return true;
    },
    async close() { await tut?.recorder.close(); await rig.close().catch(() => undefined); await stopEngine(); },
  };
  return out;
}
