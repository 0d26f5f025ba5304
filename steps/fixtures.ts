// Fixture people and cards by name, for steps such as
//   参保人 "张三" 持有卡 fixtures/cards/zhang-san.yaml   (or the profile id: zhang-san)
//   参保人 "王小明" 取自 fixtures/world/people.yaml
// A scenario still gets fresh numbers (person number, ID number, card number) so scenarios
// sharing one engine never collide; everything else comes from the file: birth date, sex,
// region, insurance type, contribution base, carried-over balance, the card's dates, PIN,
// PIN state and activation. Files are read once per process, and checked as the engine
// checks them (the people format of engine/world-files.ts): a mistake names file, line, field.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCardProfile, type CardProfile } from '../emulator';
import { WORLD_FORMATS, type WorldPersonRecord } from '../engine';
import { loadYaml, namedFile } from '../schema';
import { fmtFen } from '../platform';
import { fail } from './said';

const ROOT = path.resolve(__dirname, '..');

/** The fixtures folder of this run (`medcard run --fixtures`), else fixtures/. */
export function fixturesDir(): string { return process.env.MEDCARD_FIXTURES || path.join(ROOT, 'fixtures'); }

/**
 * `fixtures/cards/x.yaml` (relative to the project, or to --fixtures), `cards/x.yaml`, or a
 * profile id `x`; never a file outside the fixtures folders, whatever the scenario wrote.
 */
export function resolveFixture(ref: string, kind: 'cards' | 'world'): string {
  const rel = ref.replace(/^fixtures\//, '');
  const file = /\.ya?ml$/.test(rel) ? path.join(fixturesDir(), rel.includes('/') ? rel : path.join(kind, rel)) : path.join(fixturesDir(), kind, `${rel}.yaml`);
  const found = namedFile(file, [ROOT]);
  if ('problem' in found && found.problem !== 'not found') throw fail({ zh: `${ref} 不能用作夹具文件：${found.problem}`, en: `${ref} is ${found.problem}` });
  return file;
}

const profiles = new Map<string, CardProfile>();
export function cardFixture(ref: string): CardProfile {
  const file = resolveFixture(ref, 'cards');
  let p = profiles.get(file);
  if (!p) {
    if (!fs.existsSync(file)) throw fail({ zh: `没有卡片配置 ${path.relative(ROOT, file)}：fixtures/cards/README.md 列出了全部配置（写 fixtures/cards/<id>.yaml 或 id，如 zhang-san）`, en: `no card profile ${path.relative(ROOT, file)}: the profiles are listed in fixtures/cards/README.md (write fixtures/cards/<id>.yaml or the id, e.g. zhang-san)` });
    p = loadCardProfile(file);
    profiles.set(file, p);
  }
  return structuredClone(p);
}

/** A person of fixtures/world/people.yaml (the engine's world format, engine/README.md). */
export interface WorldPerson {
  psn_no: string; psn_name: string; certno: string; gend: string; brdy: string; insutype: string;
  insuplc_admdvs: string; psn_insu_date: string; emp_no?: string; contribution_base?: string; opening_balance?: string;
}

const worlds = new Map<string, WorldPerson[]>();
function people(file: string): WorldPerson[] {
  let list = worlds.get(file);
  if (!list) {
    if (!fs.existsSync(file)) throw fail({ zh: `没有夹具文件 ${path.relative(ROOT, file)}`, en: `no fixture file ${path.relative(ROOT, file)}` });
    const records = loadYaml(WORLD_FORMATS.people, file, { shown: path.relative(process.cwd(), file) || file });
    list = records.map(asWritten);
    worlds.set(file, list);
  }
  return list;
}

/** A validated person as the file wrote it: text, money as yuan with two decimals. */
function asWritten(r: WorldPersonRecord): WorldPerson {
  const yuan = (fen: number | undefined) => (fen === undefined ? undefined : fmtFen(fen));
  return {
    psn_no: r.psn_no, psn_name: r.psn_name, certno: r.certno, gend: r.gend, brdy: r.brdy, insutype: r.insutype,
    insuplc_admdvs: r.insuplc_admdvs, psn_insu_date: r.psn_insu_date, emp_no: r.emp_no,
    contribution_base: yuan(r.contribution_base), opening_balance: yuan(r.opening_balance),
  };
}

/** A fixture person by name (psn_name), person number (psn_no) or ID number (certno). */
export function personFixture(key: string, ref = 'world/people.yaml'): WorldPerson | undefined {
  return people(resolveFixture(ref, 'world')).find((p) => p.psn_name === key || p.psn_no === key || p.certno === key);
}

export function personFixtureOrFail(key: string, ref: string): WorldPerson {
  const p = personFixture(key, ref);
  if (!p) throw fail({ zh: `${path.relative(ROOT, resolveFixture(ref, 'world'))} 中没有 "${key}"：请写 psn_name（如 王小明）、psn_no 或 certno`, en: `no person "${key}" in ${path.relative(ROOT, resolveFixture(ref, 'world'))}: write the psn_name (e.g. "王小明"), the psn_no or the certno` });
  return p;
}
