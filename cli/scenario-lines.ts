// A line per scenario as it finishes, for `medcard run` when stdout is not a terminal (a CI
// log, a pipe): cucumber's summary formatter prints only the totals at the end, and the
// progress bar is for terminals. Fed the run's messages (runCucumber's onMessage).
import type { runCucumber } from '@cucumber/cucumber/api';

/** A cucumber message, as runCucumber hands it to its listener. */
type Envelope = Parameters<NonNullable<Parameters<typeof runCucumber>[2]>>[0];

const STATUS_ORDER = ['UNKNOWN', 'PASSED', 'SKIPPED', 'PENDING', 'UNDEFINED', 'AMBIGUOUS', 'FAILED'];

export class ScenarioLines {
  private lines = new Map<string, number>(); // a scenario's or an example row's AST id → its line
  private pickles = new Map<string, { uri: string; name: string; line?: number }>();
  private caseToPickle = new Map<string, string>();
  private started = new Map<string, { testCaseId: string; at: number; worst: string }>();

  constructor(private readonly write: (line: string) => void) {}

  onMessage(e: Envelope): void {
    if (e.gherkinDocument) {
      for (const child of e.gherkinDocument.feature?.children ?? []) {
        for (const sc of [child.scenario, ...(child.rule?.children.map((c) => c.scenario) ?? [])]) {
          if (!sc) continue;
          this.lines.set(sc.id, sc.location.line);
          for (const ex of sc.examples) for (const row of ex.tableBody) this.lines.set(row.id, row.location.line);
        }
      }
    } else if (e.pickle) {
      // The last AST id is the example row for an outline, the scenario otherwise.
      this.pickles.set(e.pickle.id, { uri: e.pickle.uri, name: e.pickle.name, line: this.lines.get(e.pickle.astNodeIds.at(-1)!) });
    } else if (e.testCase) {
      this.caseToPickle.set(e.testCase.id, e.testCase.pickleId);
    } else if (e.testCaseStarted) {
      this.started.set(e.testCaseStarted.id, { testCaseId: e.testCaseStarted.testCaseId, at: toMs(e.testCaseStarted.timestamp), worst: 'UNKNOWN' });
    } else if (e.testStepFinished) {
      const s = this.started.get(e.testStepFinished.testCaseStartedId);
      const status = e.testStepFinished.testStepResult.status;
      if (s && STATUS_ORDER.indexOf(status) > STATUS_ORDER.indexOf(s.worst)) s.worst = status;
    } else if (e.testCaseFinished) {
      const s = this.started.get(e.testCaseFinished.testCaseStartedId);
      if (!s) return;
      this.started.delete(e.testCaseFinished.testCaseStartedId);
      const p = this.pickles.get(this.caseToPickle.get(s.testCaseId) ?? '');
      const status = s.worst === 'UNKNOWN' ? 'passed' : s.worst.toLowerCase();
      const seconds = ((toMs(e.testCaseFinished.timestamp) - s.at) / 1000).toFixed(1);
      const retry = e.testCaseFinished.willBeRetried ? ' — retrying' : '';
      this.write(`${status.padEnd(9)} ${p ? `${p.uri}:${p.line ?? '?'}  ${p.name}` : s.testCaseId}  (${seconds} s)${retry}`);
    }
  }
}

function toMs(t: { seconds: number; nanos: number }): number {
  return t.seconds * 1000 + t.nanos / 1e6;
}
