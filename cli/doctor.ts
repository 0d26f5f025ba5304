// `medcard doctor`: is this machine ready for the rigs? Each check prints a verdict and,
// when it fails, the exact command that fixes it on this machine (a process by its pid,
// never a broad `pkill`). `--fix` (root) applies the loopback quick-ACK route for the vpcd
// stall — the only change doctor ever makes, and only when asked.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import net from 'node:net';
import * as os from 'node:os';
import { DO_NOTHING_CARD, listReaderNames, measureVpcd, PcscChannel, quickAckAvailable, VPCD_BASE_PORT, VPCD_READERS } from '../rigs';
import { parseOptions } from './args';
import { say, type Lang, type Said } from './lang';

const HELP = `usage: medcard doctor [--fix] [--no-measure]

Checks pcscd, the vpcd virtual readers, the quick-ACK addon, PostgreSQL, the Docker Engine
(container rigs) and a CJK font (the report's Chinese), and measures the vpcd 20-APDU/s stall
(a do-nothing card, 1 s with and 1 s without quick-ACK). A failed check prints its fix.

  --fix         as root, put the loopback route in quick-ACK mode (cures the stall for
                every vpcd card on this machine, ours or not); says exactly what it runs
  --no-measure  skip the stall measurement`;

export const QUICKACK_ROUTE = 'ip route change table local local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 quickack 1';
export const PLAIN_ROUTE = 'ip route change table local local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1';

type Verdict = 'ok' | 'FAIL' | 'warn' | 'info';
const print = (v: Verdict, what: string, detail = '') => console.log(`${v.padEnd(4)}  ${what}${detail ? `\n      ${detail.replace(/\n/g, '\n      ')}` : ''}`);
/** "fix (root): <command>", the command itself the same in both languages. */
const rootFix = (lang: Lang, command: string) => `${say(lang, { zh: '修复（root）：', en: 'fix (root): ' })}${command}`;

export function routeHasQuickAck(): boolean {
  try {
    return /quickack 1/.test(execFileSync('ip', ['route', 'show', 'table', 'local', '127.0.0.1'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

/** What doctor found out about the machine, for the fixes below (pure, so tests give their own). */
export interface PcscdFacts { installed: boolean; pid?: number; running: boolean; socketOverride?: string }

const PCSCD_PID_FILE = '/run/pcscd/pcscd.pid';
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';

export function pcscdFacts(): PcscdFacts {
  let pid: number | undefined;
  try { pid = Number(fs.readFileSync(PCSCD_PID_FILE, 'utf8').trim()) || undefined; } catch { pid = undefined; }
  let running = false;
  if (pid) try { process.kill(pid, 0); running = true; } catch (err) { running = (err as NodeJS.ErrnoException).code === 'EPERM'; }
  return { installed: fs.existsSync('/usr/sbin/pcscd'), pid, running, socketOverride: process.env.PCSCLITE_CSOCK_NAME || undefined };
}

/** Restarting pcscd: the one process by its pid (a broad pkill would take other users' pcscd too). */
const restartPcscd = (f: PcscdFacts) => (f.running && f.pid ? `kill ${f.pid} && pcscd` : 'pcscd');

export function pcscdFix(f: PcscdFacts, lang: Lang = 'en'): string {
  if (f.socketOverride) return say(lang, { zh: `PCSCLITE_CSOCK_NAME=${f.socketOverride} 指向的套接字上没有 pcscd 应答：unset PCSCLITE_CSOCK_NAME（pcscd 在 /run/pcscd/pcscd.comm 上监听）`, en: `PCSCLITE_CSOCK_NAME=${f.socketOverride} names a socket no pcscd answers on: unset PCSCLITE_CSOCK_NAME (pcscd listens on /run/pcscd/pcscd.comm)` });
  if (!f.installed) return rootFix(lang, 'apt-get install -y pcscd && pcscd');
  if (f.running) return `${say(lang, { zh: `pcscd（pid ${f.pid}）在运行但不应答；`, en: `pcscd (pid ${f.pid}) runs but does not answer; ` })}${rootFix(lang, restartPcscd(f))}`;
  return `${say(lang, { zh: 'pcscd 没有运行；', en: 'pcscd is not running; ' })}${rootFix(lang, 'pcscd')}`;
}

export function vpcdFix(f: PcscdFacts & { driverInstalled: boolean }, lang: Lang = 'en'): string {
  if (!f.driverInstalled) return `${say(lang, { zh: '没有安装 vpcd 驱动；', en: 'the vpcd driver is not installed; ' })}${rootFix(lang, `apt-get install -y vsmartcard-vpcd && ${restartPcscd(f)}`)}`;
  return `${say(lang, { zh: 'vpcd 驱动已安装，但这个 pcscd 没有加载它（在安装驱动之前启动的？）；', en: 'the vpcd driver is installed but this pcscd has not loaded it (started before it was installed?); ' })}${rootFix(lang, restartPcscd(f))}`;
}

export interface DockerFacts { error: string; dockerHost?: string; installed: boolean; user: string }

export function dockerFix(f: DockerFacts, lang: Lang = 'en'): string {
  if (f.dockerHost) return say(lang, { zh: `DOCKER_HOST=${f.dockerHost} 没有应答：unset DOCKER_HOST，或启动它指向的引擎`, en: `DOCKER_HOST=${f.dockerHost} does not answer: unset DOCKER_HOST, or start the engine it names` });
  if (!f.installed) return rootFix(lang, 'apt-get install -y docker.io && setsid nohup dockerd >/var/log/medcard-dockerd.log 2>&1 </dev/null &');
  if (/permission denied/.test(f.error)) return rootFix(lang, `usermod -aG docker ${f.user}  ${say(lang, { zh: '（然后重新登录）', en: '(then log in again)' })}`);
  return rootFix(lang, 'setsid nohup dockerd >/var/log/medcard-dockerd.log 2>&1 </dev/null &');
}

export function fontFix(fcListInstalled: boolean, lang: Lang = 'en'): string {
  return rootFix(lang, `apt-get install -y ${fcListInstalled ? '' : 'fontconfig '}fonts-wqy-microhei  ${say(lang, { zh: '（npm run setup 会安装它）', en: '(npm run setup installs it)' })}`);
}

export function postgresFix(versions: string[], lang: Lang = 'en'): string {
  if (!versions.length) return rootFix(lang, 'apt-get install -y postgresql');
  return rootFix(lang, `pg_ctlcluster --skip-systemctl-redirect ${versions.at(-1)} main start`);
}

function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, { fix: { type: 'boolean', default: false }, 'no-measure': { type: 'boolean', default: false } }, HELP);
  if (!parsed) return 0;
  const { values, lang } = parsed;
  // Verdicts (ok, FAIL, warn, info), commands and the lower parts' own text stay as they are in both languages.
  const t = (text: Said) => say(lang, text);
  let failures = 0;

  let readers: string[] = [];
  let pcscdAnswers = false;
  const pcscd = pcscdFacts();
  try {
    readers = listReaderNames();
    pcscdAnswers = true;
    print('ok', t({ zh: 'pcscd 有应答', en: 'pcscd answers' }));
  } catch (err) {
    failures++;
    print('FAIL', 'pcscd', `${(err as Error).message}\n${pcscdFix(pcscd, lang)}`);
  }

  const vpcdReaders = VPCD_READERS.filter((r) => readers.includes(r));
  if (vpcdReaders.length === VPCD_READERS.length) print('ok', t({ zh: `vpcd 读卡器：${vpcdReaders.join('、')}`, en: `vpcd readers: ${vpcdReaders.join(', ')}` }));
  else if (!pcscdAnswers) print('info', t({ zh: 'vpcd 读卡器：未检查，pcscd 没有应答（修复方法见上）', en: 'vpcd readers: not checked, pcscd does not answer (its fix is above)' }));
  else {
    failures++;
    print('FAIL', t({ zh: '缺少 vpcd 读卡器', en: 'vpcd readers missing' }), `${t({ zh: `pcscd 显示：${readers.join('、') || '没有读卡器'}`, en: `pcscd shows: ${readers.join(', ') || 'no readers'}` })}\n${vpcdFix({ ...pcscd, driverInstalled: fs.existsSync(VPCD_DRIVER) }, lang)}`);
  }
  const others = readers.filter((r) => !VPCD_READERS.includes(r as (typeof VPCD_READERS)[number]));
  if (others.length) print('info', t({ zh: `其他读卡器（供 pcsc 读卡环境使用）：${others.join('、')}`, en: `other readers (for the pcsc rig): ${others.join(', ')}` }));

  const addon = quickAckAvailable();
  if (addon) print('ok', t({ zh: '已加载 quick-ACK 插件：我们的 vpcd 卡不会卡顿', en: 'quick-ACK addon loaded: our vpcd cards do not stall' }));
  else print('warn', t({ zh: '没有编译 quick-ACK 插件：我们的 vpcd 卡会卡在约 20 APDU/s', en: 'quick-ACK addon not built: our vpcd cards stall at ~20 APDU/s' }), t({ zh: '修复：npm ci（编译 native/quickack；需要 g++ 和 make）', en: 'fix: npm ci (builds native/quickack; needs g++ and make)' }));

  const routeFixed = routeHasQuickAck();
  print('info', routeFixed ? t({ zh: '回环路由 quick-ACK：开（由 `medcard doctor --fix` 或手动设置）', en: 'loopback route quick-ACK: on (set by `medcard doctor --fix` or by hand)' }) : t({ zh: '回环路由 quick-ACK：关（本机默认）', en: 'loopback route quick-ACK: off (machine default)' }));

  if (!values['no-measure'] && vpcdReaders.length > 0) {
    const free = [];
    for (let i = 0; i < VPCD_READERS.length; i++) {
      if (!readers.includes(VPCD_READERS[i])) continue;
      const ch = new PcscChannel(VPCD_READERS[i]);
      const busy = ch.isCardPresent();
      await ch.close();
      if (!busy && (await canConnect(VPCD_BASE_PORT + i))) free.push(i);
    }
    if (free.length === 0) print('warn', t({ zh: '未测量卡顿：每个 vpcd 读卡器中都有卡', en: 'stall not measured: every vpcd reader holds a card' }));
    else {
      const i = free[0];
      const common = { card: DO_NOTHING_CARD, readerName: VPCD_READERS[i], port: VPCD_BASE_PORT + i, commands: [Uint8Array.from([0x00, 0x84, 0x00, 0x00, 0x04])], seconds: 1 };
      const slow = await measureVpcd({ ...common, quickAck: false });
      const fast = addon ? await measureVpcd({ ...common, quickAck: true }) : undefined;
      const stalled = slow.msPerApdu > 10;
      const line = t({
        zh: `不用 quick-ACK：${slow.perSecond.toFixed(0)} APDU/s（每条 APDU ${slow.msPerApdu.toFixed(1)} ms）` + (fast ? `；每个套接字 quick-ACK：${fast.perSecond.toFixed(0)} APDU/s（${fast.msPerApdu.toFixed(2)} ms）` : ''),
        en: `without quick-ACK: ${slow.perSecond.toFixed(0)} APDU/s (${slow.msPerApdu.toFixed(1)} ms per APDU)` + (fast ? `; with per-socket quick-ACK: ${fast.perSecond.toFixed(0)} APDU/s (${fast.msPerApdu.toFixed(2)} ms)` : ''),
      });
      if (!stalled) print('ok', t({ zh: '没有 vpcd 卡顿', en: 'no vpcd stall' }), line);
      else if (fast && fast.msPerApdu < 10) {
        print('ok', t({ zh: '有 vpcd 卡顿，我们的卡已按套接字消除', en: 'vpcd stall present, cured per socket for our cards' }), `${line}\n${t({ zh: '不是我们运行的卡（如 vicc）仍会卡顿；要在整台机器上消除（root）：medcard doctor --fix', en: 'cards we do not run (e.g. vicc) still stall; to cure it machine-wide (root): medcard doctor --fix' })}\n  = ${QUICKACK_ROUTE}`);
      } else {
        failures++;
        print('FAIL', t({ zh: 'vpcd 卡顿', en: 'vpcd stall' }), `${line}\n${rootFix(lang, 'medcard doctor --fix')}\n  = ${QUICKACK_ROUTE}`);
      }
    }
  }

  if (values.fix) {
    if (routeFixed) print('ok', t({ zh: '回环路由已是 quick-ACK 模式，无需改动', en: 'loopback route already in quick-ACK mode; nothing to do' }));
    else if (process.getuid?.() !== 0) {
      failures++;
      print('FAIL', t({ zh: '--fix 需要 root', en: '--fix needs root' }), `${t({ zh: '请以 root 运行', en: 'run as root' })}: ${QUICKACK_ROUTE}`);
    } else {
      console.log(`${t({ zh: '执行', en: 'running' })}: ${QUICKACK_ROUTE}`);
      execFileSync('sh', ['-c', QUICKACK_ROUTE], { stdio: 'inherit' });
      print('ok', t({ zh: '回环路由现在是 quick-ACK 模式', en: 'loopback route now in quick-ACK mode' }), `${t({ zh: '撤销', en: 'undo' })}: ${PLAIN_ROUTE}`);
    }
  }

  // PGHOST/PGPORT as libpq reads them (a host path is a Unix socket folder: not probed here).
  const pgHost = process.env.PGHOST && !process.env.PGHOST.startsWith('/') ? process.env.PGHOST : '127.0.0.1';
  const pgPort = Number(process.env.PGPORT) || 5432;
  const pg = await canConnect(pgPort, pgHost);
  const pgVersions = fs.existsSync('/etc/postgresql') ? fs.readdirSync('/etc/postgresql').sort((a, b) => Number(a) - Number(b)) : [];
  if (pg) print('ok', t({ zh: `${pgHost}:${pgPort} 上的 PostgreSQL：有应答`, en: `PostgreSQL on ${pgHost}:${pgPort}: answers` }));
  else print('info', t({ zh: `${pgHost}:${pgPort} 上的 PostgreSQL：没有应答（只有设了 DATABASE_URL 和 npm test 时需要）`, en: `PostgreSQL on ${pgHost}:${pgPort}: not answering (only needed with DATABASE_URL, and by npm test)` }), postgresFix(pgVersions, lang));

  // Docker: only the container rigs (and their tests) need it, so a warning, not a failure.
  const { pingDocker } = require('../containers') as typeof import('../containers');
  try {
    await pingDocker(3000);
    print('ok', t({ zh: 'Docker Engine 有应答（容器读卡环境）', en: 'Docker Engine answers (container rigs)' }));
  } catch (err) {
    const error = (err as Error).message.split('\n')[0].replace(/, so the container rig .*/, '');
    const installed = spawnSync('sh', ['-c', 'command -v dockerd']).status === 0;
    print('warn', t({ zh: 'Docker Engine：无法连接（只有容器读卡环境需要它）', en: 'Docker Engine: not reachable (only the container rigs need it)' }), `${error}\n${dockerFix({ error, installed, dockerHost: process.env.DOCKER_HOST || undefined, user: userName() }, lang)}`);
  }

  // A CJK font: without one the report's Chinese is drawn as empty boxes.
  const fc = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  const cjk = fc.status === 0 ? fc.stdout.split('\n').filter(Boolean) : [];
  if (cjk.length) print('ok', t({ zh: `报告中文所用的 CJK 字体：${cjk[0].split(',')[0]}`, en: `CJK font for the report's Chinese: ${cjk[0].split(',')[0]}` }));
  else {
    print('warn', t({
      zh: `没有 CJK 字体（fc-list :lang=zh ${fc.error ? '无法运行：没有安装 fontconfig' : '一个也没列出'}）：报告中的中文会显示为空方框`,
      en: `no CJK font (fc-list :lang=zh ${fc.error ? 'cannot run: fontconfig is not installed' : 'lists none'}): the report's Chinese shows as empty boxes`,
    }), fontFix(!fc.error, lang));
  }

  console.log(failures ? `\n${t({ zh: `发现 ${failures} 个问题`, en: `${failures} problem(s) found` })}` : `\n${t({ zh: '全部检查通过', en: 'all checks passed' })}`);
  return failures ? 1 : 0;
}

function userName(): string {
  try { return os.userInfo().username; } catch { return String(process.getuid?.() ?? 'you'); }
}
