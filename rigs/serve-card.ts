// Inside a card container: serve the profile in MEDCARD_CARD_JSON (as the steps built it) to
// vpcd, like `medcard emulate` does for a profile file. Profiles the steps generate are not
// always valid *files* (emulate's loader checks e.g. sex against the ID number's 17th digit),
// so the profile travels as JSON and goes straight to the emulator.
import { EmulatedCard, type CardProfile } from '../emulator';
import { VpcdCard } from './vpcd-card';

async function main(): Promise<number> {
  const [host = '127.0.0.1', portText = '35963'] = process.argv.slice(2);
  const profile = JSON.parse(process.env.MEDCARD_CARD_JSON ?? require('node:fs').readFileSync('/card.json', 'utf8')) as CardProfile;
  const card = new EmulatedCard(profile);
  const label = `card ${profile.card.number} (${profile.holder.name})`;
  let current: VpcdCard | undefined;
  let stopping = false;
  const stop = async () => { stopping = true; await current?.remove(); process.exit(0); };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  for (let attempt = 1; ; attempt++) {
    try { current = await VpcdCard.insert({ card, host, port: Number(portText) }); break; } catch (err) {
      if (attempt >= 20) { console.error(`medcard card: ${(err as Error).message}`); return 1; }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  console.log(`${label} inserted into vpcd at ${host}:${portText}`);
  await current.closed;
  if (!stopping) console.log('vpcd closed the connection');
  return 0;
}
main().then((c) => process.exit(c), (e) => { console.error(`medcard card: ${e?.message ?? e}`); process.exit(2); });
