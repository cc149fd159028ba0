import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../domain/config';
import { createActivities } from '../activities';
import { MockGateway } from '../gateway/mock-gateway';
import { SEARCH_ATTRIBUTE_NAMES } from '../workflows/search-attributes';
import { temporal } from '@temporalio/proto';

/** The order worker: registers orderWorkflow and its activities on the task queue. */
export interface WorkerDeps {
  config: Config;
  db: Knex;
  gateway: MockGateway;
  logger: Logger;
  /** Told of every failed activity attempt (the metrics). */
  onActivityFailure?: (activity: string, type: string) => void;
  connection: NativeConnection;
}

/**
 * Tuned for a small box that runs the API, the worker and the Temporal dev
 * server together: workflow tasks are short (no activity on the payment's hot
 * path), so many may run at once; a cache large enough for every open order
 * means a signal never forces a history replay; activities are rare (release,
 * payout), so few pollers wait for them.
 */
export async function createOrderWorker({
  config,
  db,
  gateway,
  logger,
  connection,
  onActivityFailure,
}: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities({ db, gateway, logger, onFailure: onActivityFailure }),
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: config.worker.workflowTaskPollers },
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 4 },
  });
}

/**
 * Registers the product's Keyword search attributes on the namespace, for a
 * cluster that did not get them at start (`temporal server start-dev` gets
 * them through --search-attribute). Attributes already there are left alone.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !(name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: keywordAttributes(missing) });
}

/** The operator service's form of the product's (Keyword) search attributes. */
export function keywordAttributes(
  names: readonly string[] = SEARCH_ATTRIBUTE_NAMES,
): Record<string, temporal.api.enums.v1.IndexedValueType> {
  return Object.fromEntries(
    names.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
  );
}

export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
}

export const RECONCILE_SCHEDULE_ID = 'reconcile-books';

/**
 * The Temporal Schedule that reconciles the books every RECONCILE_EVERY
 * (`reconcileWorkflow`), visible in the Web UI under Schedules. Created once;
 * a worker started with another interval updates it.
 */
export async function ensureReconcileSchedule(client: Client, config: Config): Promise<void> {
  const spec = { intervals: [{ every: config.reconcileEveryMs }] };
  try {
    await client.schedule.create({
      scheduleId: RECONCILE_SCHEDULE_ID,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: 'reconcileWorkflow',
        taskQueue: config.temporal.taskQueue,
        args: [],
        workflowId: 'reconcile-books',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
      state: { note: `reconcile the books every ${config.reconcileEvery}` },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).update((s) => ({
      ...s,
      spec,
      action: { ...s.action, taskQueue: config.temporal.taskQueue } as typeof s.action,
      state: { ...s.state, note: `reconcile the books every ${config.reconcileEvery}` },
    }));
  }
}
