// When: the agency's account runs: monthly credits into the personal account (control op monthly-credit, from
// the contribution base when the scenario sets one) and the year-end rollover with interest
// (year-end-close). The Then steps on their figures are in queries.ts.
import { fmtFen } from '../platform';
import { stepsOf } from './registry';

const step = stepsOf('accounts');

step('When', '{string} 的个人账户按月划入 {int} 个月', '{string}\'s account receives {int} monthly credits', async function (name: string, months: number) {
  const p = this.person(name);
  const base = p.base;
  this.latest.credit = await this.control('monthly-credit', { psn_no: p.psnNo, months, ...(base !== undefined ? { contribution_base: fmtFen(base) } : {}) });
}, { example: { zh: '"王小明" 的个人账户按月划入 3 个月', en: '"王小明"\'s account receives 3 monthly credits' } });

step('When', '{string} 的个人账户在 {int} 年末结息', '{string}\'s account is closed for the year {int} with interest', async function (name: string, year: number) {
  // domain.md §3: a year is closed after it has ended, so the scenario's clock moves into the next year.
  if (this.today < `${year + 1}-01-01`) this.today = `${year + 1}-01-01`;
  this.latest.rollover = await this.control('year-end-close', { year, psn_no: this.person(name).psnNo });
}, { example: { zh: '"张三" 的个人账户在 2023 年末结息', en: '"Zhang San"\'s account is closed for the year 2023 with interest' } });
