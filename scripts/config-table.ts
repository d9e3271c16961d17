// Prints the README's configuration table from CONFIG_TABLE: `npx tsx scripts/config-table.ts`.
import { CONFIG_TABLE } from '../src/server/config.js';

console.log('| variable | default | meaning |');
console.log('| --- | --- | --- |');
for (const opt of CONFIG_TABLE) {
  const def = opt.default === '' ? '(none)' : `\`${opt.default}\``;
  console.log(`| \`${opt.env}\` | ${def} | ${opt.doc.replace(/\|/g, '\\|')} |`);
}
