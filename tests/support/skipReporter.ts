/**
 * The reporter of `npm test` (.mocharc.json): mocha's spec reporter, then one line per reason tests
 * were skipped, so that the run ends by saying what did not run and why. A test states its reason
 * with skipBecause (./skip.ts); one skipped without a reason is listed under its file.
 */
import * as path from "node:path";
import Mocha from "mocha";
import { skipReason } from "./skip";

const { EVENT_RUN_END, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SpecWithSkipReasons extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const skipped = new Map<string, number>();
    runner.on(EVENT_TEST_PENDING, (test: Mocha.Test) => {
      const reason = skipReason(test) ?? `no reason given (${test.file ? path.relative(process.cwd(), test.file) : test.fullTitle()})`;
      skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
    });
    // Registered after the spec reporter's own handler, so these lines follow its counts. They never
    // read "N pending": .ci/run takes the last such line as the count.
    runner.once(EVENT_RUN_END, () => {
      if (skipped.size === 0) return;
      const lines = [...skipped].map(([reason, count]) => `    ${count} ${count === 1 ? "test" : "tests"}: ${reason}`);
      process.stdout.write(`  skipped, and why:\n${lines.join("\n")}\n\n`);
    });
  }
}

export = SpecWithSkipReasons;
