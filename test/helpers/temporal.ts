import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findBinary } from '../../scripts/temporal-binaries';
import { keywordAttributes } from '../../worker/worker';

/**
 * The time-skipping test server, from the binary scripts/setup-temporal.sh
 * installed (never downloaded), with the product's search attributes added
 * through the operator service.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: findBinary('temporal-test-server') } },
  });
  // the test server has no ListSearchAttributes, so add them outright
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: keywordAttributes(),
  });
  return env;
}
