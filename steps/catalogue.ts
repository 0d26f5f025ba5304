// The catalogue at the agency (control op catalogue-item). Default items every scenario may use by class: 甲类 /
// 乙类 / 自费 (class A, B, self-pay), created once per worker and engine with codes unique to the run;
// and the items a scenario names (医保目录如下： / the catalogue lists:, or a visit's table).
import type { ControlClient } from '../platform';
import { catalogueCode } from './ids';
import { fail } from './said';
import type { MedWorld } from './world';
import type { CatalogueItem } from './types';

/** Per engine (its control client): a worker may renew its engine between scenarios (Shared.freshEngine). */
const defaults = new WeakMap<ControlClient, Promise<Map<string, CatalogueItem>>>();

export function ensureDefaultCatalogue(client: ControlClient): Promise<Map<string, CatalogueItem>> {
  let made = defaults.get(client);
  if (!made) {
    made = (async () => {
      const m = new Map<string, CatalogueItem>();
      for (const [names, cls] of [[['甲类', 'class A'], 'A'], [['乙类', 'class B'], 'B'], [['自费', 'self-pay'], 'self']] as const) {
        const code = catalogueCode();
        await client.call('catalogue-item', { med_list_codg: code, name: `默认${names[0]}项目`, cls });
        for (const n of names) m.set(n, { code, cls });
      }
      return m;
    })();
    made.catch(() => defaults.delete(client));
    defaults.set(client, made);
  }
  return made;
}

const CLASS_WORDS: Record<string, CatalogueItem['cls']> = { 甲类: 'A', 甲: 'A', A: 'A', 'class A': 'A', 乙类: 'B', 乙: 'B', B: 'B', 'class B': 'B', 自费: 'self', self: 'self', 'self-pay': 'self', 目录外: 'self' };

export function classOf(text: string): CatalogueItem['cls'] {
  const c = CLASS_WORDS[text.trim()];
  if (!c) throw fail({ zh: `没有 "${text}" 这种目录类别：请写 甲类、乙类 或 自费`, en: `unknown catalogue class "${text}": write class A, class B or self-pay` });
  return c;
}

/** A catalogue item of this scenario, by name, with a fresh code. */
export async function ensureCatalogue(w: MedWorld, name: string, cls: CatalogueItem['cls'], selfpay?: string): Promise<string> {
  const code = catalogueCode();
  await w.control('catalogue-item', { med_list_codg: code, name, cls, ...(selfpay ? { selfpay_prop: selfpay } : {}) });
  w.catalogue.set(name, { code, cls });
  return code;
}
