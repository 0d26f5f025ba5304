// Debian's chromium, headless, driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: fd 3 in, fd 4 out, messages ended by NUL), so the tests need no
// WebSocket client and no Playwright. Start flags from machine-notes.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = '/usr/bin/chromium';

export class Page {
  constructor(private readonly browser: Browser, private readonly sessionId: string) {}
  send(method: string, params: object = {}): Promise<any> { return this.browser.send(method, params, this.sessionId); }

  /** Evaluates an expression in the page (awaiting a promise) and returns its value. */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Polls a page expression until it is truthy: generous, as the machine may be busy. */
  async waitFor<T>(expression: string, what: string, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.eval<T>(expression).catch(() => undefined);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; page text: ${(await this.eval<string>('document.body?.innerText ?? ""').catch(() => '')).slice(0, 800)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async goto(url: string): Promise<void> { await this.send('Page.navigate', { url }); }

  /** The fonts chromium really drew the first element matching `selector` with. */
  async fontsOf(selector: string): Promise<{ familyName: string; isCustomFont: boolean; glyphCount: number }[]> {
    const { root: doc } = await this.send('DOM.getDocument');
    const { nodeId } = await this.send('DOM.querySelector', { nodeId: doc.nodeId, selector });
    await this.send('CSS.enable');
    return (await this.send('CSS.getPlatformFontsForNode', { nodeId })).fonts;
  }
}

/** fontconfig's Chinese font families. */
export function cjkFonts(): Set<string> {
  return new Set(spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).stdout.split(/[\n,]/).map((f) => f.trim()).filter(Boolean));
}

export class Browser {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; method: string }>();
  private constructor(private readonly child: ChildProcess, private readonly profile: string) {
    let buffer = '';
    (child.stdio[4] as Readable).setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\0'); end >= 0; end = buffer.indexOf('\0')) {
        const msg = JSON.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
        if (!p) continue;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`)); else p.resolve(msg.result);
      }
    });
    child.on('exit', () => { for (const p of this.pending.values()) p.reject(new Error(`chromium exited during ${p.method}`)); this.pending.clear(); });
  }

  static launch(): Browser {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-chromium-'));
    const child = spawn(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    return new Browser(child, profile);
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      (this.child.stdio[3] as Writable).write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  async newPage(width = 1400, height = 1000): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId);
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  async close(): Promise<void> {
    await this.send('Browser.close').catch(() => undefined);
    if (this.child.exitCode === null) await new Promise((r) => { this.child.once('exit', r); setTimeout(() => { this.child.kill('SIGKILL'); r(undefined); }, 10_000); });
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}
