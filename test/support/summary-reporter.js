/**
 * Ends the run with plain lines any CI log reader understands, in addition to jest's own
 * summary: each failed test with the first line of its error (a log's tail is often all that
 * is kept), and "tests: N passed, N failed".
 */
const MAX_LISTED = 40;

function firstLine(message) {
  // Drop the colour codes jest puts in its messages.
  const plain = String(message).replace(/\u001b\[[0-9;]*m/g, '');
  const line = plain.split('\n').find((l) => l.trim()) ?? '';
  return line.trim().slice(0, 200);
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = [];
    for (const suite of results.testResults) {
      const file = suite.testFilePath.replace(`${process.cwd()}/`, '');
      if (suite.testExecError) failed.push(`${file}: ${firstLine(suite.testExecError.message)}`);
      for (const test of suite.testResults) {
        if (test.status !== 'failed') continue;
        failed.push(`${file} › ${test.fullName}: ${firstLine(test.failureMessages[0] ?? '')}`);
      }
    }
    const lines = failed.slice(0, MAX_LISTED).map((l) => `failed: ${l}\n`);
    if (failed.length > MAX_LISTED)
      lines.push(`failed: … and ${failed.length - MAX_LISTED} more\n`);
    // Where jest writes its own summary, and after it: jest's summary reporter always runs last.
    if (lines.length) process.once('exit', () => process.stderr.write(lines.join('')));
    const skipped = results.numPendingTests + results.numTodoTests;
    const extra = skipped ? `, ${skipped} skipped` : '';
    process.stdout.write(
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed${extra}\n`,
    );
  }
}
module.exports = SummaryReporter;
