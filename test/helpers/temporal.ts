import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { findBinary } from '../../scripts/temporal-binaries';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/search-attributes';

/**
 * The time-skipping test server, from the binary scripts/setup-temporal.sh
 * installed (never downloaded), with the product's search attributes added
 * through the operator service.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: findBinary('temporal-test-server') } },
  });
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const name of SEARCH_ATTRIBUTE_NAMES) searchAttributes[name] = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes });
  return env;
}
