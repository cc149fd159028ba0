import {
  Client,
  UpdateDefinition,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
} from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { orderWorkflowId } from '../domain/ids';
import {
  CreatePaymentRequest,
  ERROR_TYPES,
  ORDER_WORKFLOW_TYPE,
  OrderState,
  OrderWorkflowInput,
  createPaymentUpdate,
  statusQuery,
} from '../workflows/messages';
import { OrderIdKey, OrderStatusKey } from '../workflows/search-attributes';
import { HttpError } from './errors';

/**
 * The API's only way into the order workflows: Temporal client calls with a
 * deadline, and one mapping from workflow answers to HTTP errors.
 */
export class WorkflowGoneError extends Error {}

const STATUS_FOR_TYPE: Record<string, [number, string]> = {
  [ERROR_TYPES.invalidTransition]: [409, 'INVALID_TRANSITION'],
  [ERROR_TYPES.forbidden]: [403, 'FORBIDDEN'],
  [ERROR_TYPES.notFound]: [404, 'NOT_FOUND'],
  [ERROR_TYPES.invalidInput]: [400, 'VALIDATION_ERROR'],
};

/** A workflow that no longer exists or has already closed cannot take messages. */
function isWorkflowGone(err: unknown): boolean {
  if (err instanceof WorkflowNotFoundError) return true;
  return isGrpcServiceError(err) && /workflow execution already completed/i.test(err.message);
}

export function toHttpError(err: unknown): never {
  if (err instanceof HttpError) throw err;
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const mapped = STATUS_FOR_TYPE[err.cause.type ?? ''];
    if (mapped) throw new HttpError(mapped[0], mapped[1], err.cause.message);
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ActivityFailure) {
    // the gateway (or the database behind an activity) failed after its retries; nothing was recorded
    throw new HttpError(502, 'GATEWAY_UNAVAILABLE', 'the payment gateway could not complete the request; try again shortly');
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) {
    throw new HttpError(504, 'WORKFLOW_TIMEOUT', 'the order workflow did not answer in time; it may still complete: check the order before retrying');
  }
  if (isWorkflowGone(err)) throw new WorkflowGoneError('the order workflow has closed');
  throw err;
}

export class OrderWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly timeoutMs = 30_000,
  ) {}

  private withDeadline<T>(fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + this.timeoutMs, fn).catch(toHttpError);
  }

  /** Starts the order's workflow if needed and creates (or returns) its payment, in one call. */
  createPayment(input: OrderWorkflowInput, req: CreatePaymentRequest) {
    const startWorkflowOperation = new WithStartWorkflowOperation(ORDER_WORKFLOW_TYPE, {
      workflowId: orderWorkflowId(input.pesanan_id),
      taskQueue: this.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // a closed order (payment failed or expired) is never started again
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: OrderIdKey, value: input.pesanan_id },
        { key: OrderStatusKey, value: 'menunggu_pembayaran' },
      ],
      staticSummary: `Order ${input.pesanan_id}: Rp ${input.harga}`,
    });
    return this.withDeadline(() =>
      this.client.workflow.executeUpdateWithStart(createPaymentUpdate, { args: [req], startWorkflowOperation }),
    ).catch((err) => {
      if (err instanceof WorkflowExecutionAlreadyStartedError || (err as Error)?.cause instanceof WorkflowExecutionAlreadyStartedError) {
        throw new HttpError(409, 'INVALID_TRANSITION', 'this order is closed; it cannot take a new payment');
      }
      throw err;
    });
  }

  update<Ret, Arg>(pesananId: string, def: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(pesananId));
    return this.withDeadline(() => handle.executeUpdate(def, { args: [arg] }));
  }

  status(pesananId: string): Promise<OrderState> {
    return this.withDeadline(() => this.client.workflow.getHandle(orderWorkflowId(pesananId)).query(statusQuery));
  }
}
