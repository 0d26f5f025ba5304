// node:test reporter that ends the run with one line "N passed, N failed[, N skipped]".
// Counts leaf tests only (suites are containers); a skipped or todo test is never a pass.
export default async function* summary(source) {
  let passed = 0, failed = 0, skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.details?.type === 'suite') continue;
    if (data.skip || data.todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  yield `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
