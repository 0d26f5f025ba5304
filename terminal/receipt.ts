// The receipt 结算单 the terminal prints (domain.md §8): institution, date, visit type,
// total, self-pay, covered, fund, account, cash, balance after; or a cash-advance note.
import { fmtFen } from '../platform';
import type { Receipt } from './types';

const VISIT_ZH: Record<string, string> = { outpatient: '门诊', inpatient: '住院', pharmacy: '购药', 'family-planning': '计划生育' };
export const CERTIFICATE_NAMES: Record<string, string> = { '01': '医保电子凭证 e-voucher', '02': '居民身份证 ID card', '03': '社会保障卡 social security card' };

function rows(r: Receipt): [string, string][] {
  const s = r.settlement;
  const out: [string, string][] = [
    ['定点机构 Institution', `${r.institution} (${r.institutionCode})`],
    ['日期 Date', r.date],
    ['类别 Visit', `${VISIT_ZH[r.visitType] ?? r.visitType} ${r.visitType}`],
    ['费用总额 Total', fmtFen(r.totalFen)],
  ];
  if (r.certificate) out.push(['就诊凭证 Certificate', `${CERTIFICATE_NAMES[r.certificate]} (${r.certificate})`]);
  if (r.holder) out.push(['参保人 Insured', r.holder]);
  if (s) {
    out.push(['结算号 Settlement', s.setlId], ['全自费 Not covered', fmtFen(s.ownpay)], ['先行自付 Class B self-pay', fmtFen(s.preselfpay)],
      ['目录内 Covered', fmtFen(s.covered)], ['统筹支付 Fund', fmtFen(s.fund)], ['个人账户 Account', fmtFen(s.account)],
      ['现金支付 Cash', fmtFen(s.cash)], ['账户余额 Balance after', fmtFen(s.balance)]);
  } else {
    out.push(['现金支付 Cash', fmtFen(r.totalFen)], ['垫付 Cash advance', r.cashReason ?? '未持卡 / no card']);
  }
  return out;
}

export function renderReceiptText(r: Receipt): string {
  const title = r.settlement ? '医疗保险结算单 / Settlement receipt' : '现金收费单（垫付）/ Cash receipt (advance)';
  return [title, ...rows(r).map(([k, v]) => `${k}: ${v}`)].join('\n');
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
export function renderReceiptHtml(r: Receipt): string {
  const title = r.settlement ? '医疗保险结算单 / Settlement receipt' : '现金收费单（垫付）/ Cash receipt (advance)';
  const body = rows(r).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const items = r.items.map((i) => `<tr><td>${esc(i.code)}</td><td>${esc(i.name ?? '')}</td><td>${i.count}</td><td>${fmtFen(i.priceFen)}</td></tr>`).join('');
  return `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><h3>${esc(title)}</h3><table>${body}</table>`
    + `<h4>明细 Items</h4><table><tr><th>code</th><th>name</th><th>cnt</th><th>price</th></tr>${items}</table>`;
}
