import process from 'node:process';

/**
 * Prints one plain closing line, `N passed, N failed[, N skipped]`, after jest's own summary, so
 * that tools reading the last line of a CI log know how many tests ran.
 */
export default class SummaryLineReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.stdout.write(`${line}\n`);
  }
}
