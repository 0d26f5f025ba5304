// Default catalogue items every scenario may use by class: 甲类 / 乙类 / 自费 (class A, B,
// self-pay). Created once per worker through the agency API, with codes unique to the run.
import type { PlatformClient } from '../platform';
import { catalogueCode } from './ids';

type Item = { code: string; cls: 'A' | 'B' | 'self' };
let defaults: Promise<Map<string, Item>> | undefined;

export function ensureDefaultCatalogue(client: PlatformClient): Promise<Map<string, Item>> {
  defaults ??= (async () => {
    const m = new Map<string, Item>();
    for (const [names, cls] of [[['甲类', 'class A'], 'A'], [['乙类', 'class B'], 'B'], [['自费', 'self-pay'], 'self']] as const) {
      const code = catalogueCode();
      await client.call('9104', { med_list_codg: code, name: `默认${names[0]}项目`, cls });
      for (const n of names) m.set(n, { code, cls });
    }
    return m;
  })();
  defaults.catch(() => { defaults = undefined; });
  return defaults;
}
