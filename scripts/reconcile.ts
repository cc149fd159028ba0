import { createDb } from '../db/connection';
import { ReconcileReport, reconcile } from '../db/reconcile';
import { configOrExit } from './run';

/**
 * `npm run reconcile`: the books against the records and the gateway's books,
 * on the database the configuration selects. Prints a summary table, then
 * every difference with its record id. Exit 0 when there are none, 1 when
 * there are any, 2 when it could not run.
 */
export function printReport(report: ReconcileReport, out: (line: string) => void = console.log): void {
  const width = Math.max(...report.checks.map((c) => c.check.length));
  out(`${'check'.padEnd(width)}  checked  differences`);
  for (const c of report.checks)
    out(`${c.check.padEnd(width)}  ${String(c.checked).padStart(7)}  ${String(c.differences).padStart(11)}`);
  out(`${report.differences.length} difference(s)`);
  for (const d of report.differences) out(`  [${d.check}] ${d.record_id}: ${d.detail}`);
}

async function main() {
  const config = configOrExit();
  const db = await createDb(config.db);
  try {
    const report = await reconcile(db);
    printReport(report);
    process.exitCode = report.differences.length ? 1 : 0;
  } finally {
    await db.destroy();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error('reconcile could not run:', err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
