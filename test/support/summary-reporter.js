/**
 * Ends the run with one plain line, "tests: N passed, N failed", that any CI log reader
 * understands, in addition to jest's own summary.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const extra = skipped ? `, ${skipped} skipped` : '';
    process.stdout.write(
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed${extra}\n`,
    );
  }
}
module.exports = SummaryReporter;
