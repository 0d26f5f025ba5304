// The verdict of a certification run: one row per requirement of the catalogue (passed,
// failed, not tested), with the scenarios that judged it and their evidence lines, as
// reports/compliance/index.html for people and reports/compliance.json for CI.
import fs from 'node:fs';
import path from 'node:path';
import { REQUIREMENTS } from './requirements';
import type { CertificateRow, ScenarioVerdicts, Verdict, VerdictValue } from './types';

/** One requirement's verdicts across actions or scenarios: failed if any failed, passed if any passed. */
export function combine(values: readonly VerdictValue[]): VerdictValue {
  if (values.includes('failed')) return 'failed';
  return values.includes('passed') ? 'passed' : 'not-applicable';
}

export function certificateRows(scenarios: readonly ScenarioVerdicts[]): CertificateRow[] {
  return REQUIREMENTS.map((r) => {
    const judged = scenarios.flatMap((s) => s.verdicts.filter((v) => v.requirement === r.id).map((v: Verdict) => ({ name: s.scenario, verdict: v.verdict, evidence: v.evidence })));
    const v = combine(judged.map((j) => j.verdict));
    return { id: r.id, zh: r.zh, en: r.en, source: r.source, verdict: v === 'not-applicable' ? 'not tested' : v, scenarios: judged };
  });
}

export interface Certificate { terminal: string; date: string; passed: number; failed: number; notTested: number; rows: CertificateRow[] }

export function certificate(terminal: string, scenarios: readonly ScenarioVerdicts[], date = new Date().toISOString()): Certificate {
  const rows = certificateRows(scenarios);
  const count = (v: CertificateRow['verdict']) => rows.filter((r) => r.verdict === v).length;
  return { terminal, date, passed: count('passed'), failed: count('failed'), notTested: count('not tested'), rows };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const WORD = { passed: '通过 passed', failed: '未通过 failed', 'not tested': '未测试 not tested' } as const;

export function renderCertificate(c: Certificate): string {
  const rows = c.rows.map((r) => `<tr class="${r.verdict.replace(' ', '-')}"><td>${r.id}</td><td>${esc(r.zh)}<br><small>${esc(r.en)}</small></td><td>${esc(r.source)}</td><td>${WORD[r.verdict]}</td><td>${r.scenarios.map((s) => `<details><summary>${esc(s.name)}: ${s.verdict}</summary><pre>${esc(s.evidence.join('\n'))}</pre></details>`).join('') || '—'}</td></tr>`).join('\n');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>受测终端合规证书 / terminal compliance: ${esc(c.terminal)}</title>
<style>body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top}
tr.passed td:nth-child(4){background:#dfd}tr.failed td:nth-child(4){background:#fdd}tr.not-tested td:nth-child(4){background:#eee}pre{white-space:pre-wrap;font-size:.85em}</style></head><body>
<h1>受测终端合规证书 / Terminal compliance: ${esc(c.terminal)}</h1>
<p>${esc(c.date)} · 通过 passed ${c.passed} · 未通过 failed ${c.failed} · 未测试 not tested ${c.notTested}</p>
<table><thead><tr><th>要求 id</th><th>要求 requirement</th><th>依据 source</th><th>结论 verdict</th><th>场景与证据 scenarios and evidence</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}

/** Write reports/compliance/index.html and reports/compliance.json. */
export function writeCertificate(reports: string, c: Certificate): { html: string; json: string } {
  const dir = path.join(reports, 'compliance');
  fs.mkdirSync(dir, { recursive: true });
  const html = path.join(dir, 'index.html');
  const json = path.join(reports, 'compliance.json');
  fs.writeFileSync(html, renderCertificate(c));
  fs.writeFileSync(json, `${JSON.stringify(c, null, 2)}\n`);
  return { html, json };
}

/** The verdict lines the scenarios of a run wrote (one JSON object a line). */
export function readVerdicts(file: string): ScenarioVerdicts[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ScenarioVerdicts);
}
