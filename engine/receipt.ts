// Receipts (domain.md §8) as text and as HTML, in Chinese.
import type { Receipt } from '../platform';

const KIND: Record<Receipt['kind'], string> = { settlement: '医疗保险结算单', reversal: '医疗保险结算撤销单', reimbursement: '医疗保险报销结算单' };
const REASON: Record<string, string> = {
  emergency: '急诊未带社保卡', family_planning: '计划生育手术', employer_arrears: '单位欠费', card_replacement: '补换卡期间',
  no_card_issued: '参保后未发卡', cross_region_unfiled: '异地就医未备案', none: '未持卡',
};
const CLS: Record<string, string> = { A: '甲类', B: '乙类', self: '自费', unknown: '目录外' };
const SEG: Record<string, string> = { line: '起付线以下', pool: '统筹段', over_cap: '封顶线以上' };

function rows(r: Receipt): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ['单据号', r.receipt_id], ['结算/申请号', r.ref_id], ['定点机构', `${r.fixmedins_name}（${r.fixmedins_code}，${r.hosp_lv} 级）`],
    ['姓名', r.psn_name], ['人员编号', r.psn_no], ['参保地', r.insuplc_admdvs], ['就医地', r.mdtrtarea_admvs + (r.cross_region ? '（异地）' : '')],
    ['就诊日期', r.visit_date], ['结算时间', r.date], ['医疗类别', r.med_type_name],
    ['医疗费总额', r.medfee_sumamt], ['自费金额', r.selfpay_amt], ['  其中 全自费', r.fulamt_ownpay_amt], ['  其中 超限价', r.overlmt_selfpay],
    ['  其中 乙类先行自付', r.preselfpay_amt], ['符合范围金额', r.inscp_scp_amt], ['统筹基金支付', r.fund_pay_sumamt], ['个人账户支付', r.acct_pay],
    ['个人现金支付', r.psn_cash_pay],
  ];
  if (r.kind === 'reimbursement') {
    out.push(['垫付原因', REASON[r.cash_advance_reason ?? 'none'] ?? String(r.cash_advance_reason)], ['报销金额', r.payout]);
  }
  out.push(['个人账户余额', r.balc]);
  return out;
}

export function renderReceiptText(r: Receipt): string {
  const lines = [KIND[r.kind], '='.repeat(32)];
  for (const [k, v] of rows(r)) lines.push(`${k}：${v}`);
  if (r.lines.length) {
    lines.push('-'.repeat(32), '明细：');
    for (const l of r.lines) lines.push(`  ${l.feedetl_sn} ${l.name}（${CLS[l.cls] ?? l.cls}）${l.amount}，符合范围 ${l.covered}，自付 ${l.selfpay}`);
  }
  if (r.segments.length) {
    lines.push('分段：');
    for (const s of r.segments) lines.push(`  ${SEG[s.segment]} ${s.from}–${s.to}：${s.amount}，个人 ${s.person}（${s.person_rate}），统筹 ${s.fund}`);
  }
  lines.push('='.repeat(32));
  return lines.join('\n') + '\n';
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderReceiptHtml(r: Receipt): string {
  const tr = (cells: string[], th = false) => `<tr>${cells.map((c) => (th ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`;
  const money = new Set(['医疗费总额', '自费金额', '符合范围金额', '统筹基金支付', '个人账户支付', '个人现金支付', '报销金额', '个人账户余额']);
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(KIND[r.kind])} ${esc(r.receipt_id)}</title>
<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #999;padding:2px 8px}td.m{text-align:right;font-variant-numeric:tabular-nums}</style></head>
<body><h1>${esc(KIND[r.kind])}</h1>
<table class="receipt">${rows(r).map(([k, v]) => `<tr><th>${esc(k)}</th><td${money.has(k) ? ' class="m"' : ''} data-field="${esc(k)}">${esc(v)}</td></tr>`).join('\n')}</table>
${r.lines.length ? `<h2>费用明细</h2><table>${tr(['流水号', '项目', '类别', '金额', '符合范围', '自付'], true)}${r.lines.map((l) => tr([l.feedetl_sn, l.name, CLS[l.cls] ?? l.cls, l.amount, l.covered, l.selfpay])).join('')}</table>` : ''}
${r.segments.length ? `<h2>分段计算</h2><table>${tr(['分段', '累计自', '累计至', '金额', '个人比例', '个人', '统筹'], true)}${r.segments.map((s) => tr([SEG[s.segment], s.from, s.to, s.amount, s.person_rate, s.person, s.fund])).join('')}</table>` : ''}
</body></html>
`;
}
