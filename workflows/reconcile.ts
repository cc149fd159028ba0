import { proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../activities';

const { reconcileBooks } = proxyActivities<OrderActivities>({
  startToCloseTimeout: '5m',
  // a difference is a finding, not a fault: the activity fails it for good; a database hiccup is retried
  retry: { maximumAttempts: 3, initialInterval: '10s' },
});

/**
 * The books against the records and the gateway's books (`npm run reconcile`),
 * run by the `reconcile-books` Schedule every RECONCILE_EVERY. A run that finds
 * differences fails, naming them, so it shows red in the Web UI.
 */
export async function reconcileWorkflow(): Promise<{ checks: number; differences: number }> {
  return reconcileBooks();
}
