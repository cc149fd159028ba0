import {
  Client,
  UpdateDefinition,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
} from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, type SignalDefinition } from '@temporalio/common';
import { orderWorkflowId, refundWorkflowId } from '../domain/ids';
import {
  ERROR_TYPES,
  ORDER_WORKFLOW_TYPE,
  OrderState,
  OrderWorkflowInput,
  PAYMENT_DECIDED_BY_DATABASE,
  PaymentOutcome,
  PaymentView,
  REFUND_WORKFLOW_TYPE,
  RefundWorkflowInput,
  paymentCreatedSignal,
  paymentOutcomeSignal,
  statusQuery,
} from '../workflows/messages';
import { OrderIdKey, OrderStatusKey, RefundStatusKey } from '../workflows/search-attributes';
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
    throw new HttpError(
      502,
      'GATEWAY_UNAVAILABLE',
      'the payment gateway could not complete the request; try again shortly',
    );
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) {
    throw new HttpError(
      504,
      'WORKFLOW_TIMEOUT',
      'the order workflow did not answer in time; it may still complete: check the order before retrying',
    );
  }
  if (isWorkflowGone(err)) throw new WorkflowGoneError('the order workflow has closed');
  throw err;
}

/** A closed workflow (its id may not be reused) is gone for the purpose of telling it anything. */
function gone(err: unknown): never {
  if (
    err instanceof WorkflowExecutionAlreadyStartedError ||
    (err as Error)?.cause instanceof WorkflowExecutionAlreadyStartedError
  ) {
    throw new WorkflowGoneError('the order workflow has closed');
  }
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

  /**
   * Tells the order's workflow about its payment, starting the workflow if it
   * is not running: one Temporal write (signal-with-start), no worker round
   * trip. `signal` is the message to deliver: the payment itself, or its
   * outcome for a workflow that may never have been started. A completed
   * order's workflow is never started again.
   */
  signalPayment(
    input: OrderWorkflowInput & { payment: PaymentView },
    signal: { created: PaymentView } | { outcome: PaymentOutcome },
  ): Promise<void> {
    const common = {
      workflowId: orderWorkflowId(input.pesanan_id),
      taskQueue: this.taskQueue,
      args: [input] as [OrderWorkflowInput],
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      // a completed order's workflow never runs again; a terminated one (an operator, or an old order's
      // workflow retired for the new path) may be followed by a new run for the same payment
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' as const,
      typedSearchAttributes: [
        { key: OrderIdKey, value: input.pesanan_id },
        { key: OrderStatusKey, value: 'menunggu_pembayaran' },
      ],
      staticSummary: `Order ${input.pesanan_id}: Rp ${input.harga}`,
    };
    return this.withDeadline(async () => {
      if ('created' in signal) {
        await this.client.workflow.signalWithStart(ORDER_WORKFLOW_TYPE, {
          ...common,
          signal: paymentCreatedSignal,
          signalArgs: [signal.created],
        });
      } else {
        await this.client.workflow.signalWithStart(ORDER_WORKFLOW_TYPE, {
          ...common,
          signal: paymentOutcomeSignal,
          signalArgs: [signal.outcome],
        });
      }
    }).catch(gone);
  }

  /**
   * An order created before the payment path moved may still have its old
   * workflow waiting for a payment (its first create failed at the gateway):
   * that workflow holds no money and would ignore the new path's signals, so
   * it is ended before the order takes its payment. Workflows with the patch
   * marker are left alone.
   */
  async retireLegacyWaiting(pesananId: string): Promise<boolean> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(pesananId));
    const described = await this.withDeadline(() => handle.describe()).catch((err) => {
      if (err instanceof WorkflowGoneError) return null;
      throw err;
    });
    if (!described || described.status.name !== 'RUNNING') return false;
    const patches = (described.searchAttributes?.TemporalChangeVersion as string[] | undefined) ?? [];
    if (patches.includes(PAYMENT_DECIDED_BY_DATABASE)) return false;
    await this.withDeadline(() =>
      handle.terminate('superseded: the order takes its payment on the database-decided path'),
    ).catch((err) => {
      if (!(err instanceof WorkflowGoneError)) throw err;
    });
    return true;
  }

  /**
   * Starts the order's workflow again to pay its escrow out (`resume_payout`),
   * once its first run has ended: a returned payout's contradiction resolved.
   * A run already going (a concurrent request started it) is used as it is.
   */
  startPayoutRun(
    input: OrderWorkflowInput & { resume_payout: NonNullable<OrderWorkflowInput['resume_payout']> },
  ): Promise<void> {
    return this.withDeadline(async () => {
      await this.client.workflow.start(ORDER_WORKFLOW_TYPE, {
        workflowId: orderWorkflowId(input.pesanan_id),
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: OrderIdKey, value: input.pesanan_id },
          { key: OrderStatusKey, value: input.resume_payout.order_status },
        ],
        staticSummary: `Order ${input.pesanan_id}: paying out Rp ${input.resume_payout.escrow.jumlah_bersih} again (its payout was returned)`,
      });
    });
  }

  /** Tells a running order workflow how its payment was decided (one signal). */
  signalOutcome(pesananId: string, outcome: PaymentOutcome): Promise<void> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(pesananId));
    return this.withDeadline(() => handle.signal(paymentOutcomeSignal, outcome));
  }

  /** One signal to a running order workflow. */
  signal<Arg>(pesananId: string, def: SignalDefinition<[Arg]>, arg: Arg): Promise<void> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(pesananId));
    return this.withDeadline(() => handle.signal(def, arg));
  }

  update<Ret, Arg>(pesananId: string, def: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(pesananId));
    return this.withDeadline(() => handle.executeUpdate(def, { args: [arg] }));
  }

  /**
   * Starts a refund's workflow (`refund-<id>`) unless one runs or ran for it:
   * a late payment's refund, or one the sweep finds not marked as started.
   */
  startRefund(input: RefundWorkflowInput, o: { again?: boolean } = {}): Promise<void> {
    return this.withDeadline(async () => {
      await this.client.workflow.start(REFUND_WORKFLOW_TYPE, {
        workflowId: refundWorkflowId(input.refund_id),
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // one run per refund: a finished one (completed, or failed for good: an operator's) is never started again,
        // except `again`: its payout was returned after it completed, and an admin resolved that contradiction
        workflowIdReusePolicy: o.again ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: OrderIdKey, value: input.pesanan_id },
          { key: RefundStatusKey, value: input.status },
        ],
        staticSummary: `Refund ${input.refund_id}: Rp ${input.jumlah} to the client of order ${input.pesanan_id}`,
      });
    }).catch((err) => {
      // it ran to its end already: nothing to start
      if (
        err instanceof WorkflowExecutionAlreadyStartedError ||
        (err as Error)?.cause instanceof WorkflowExecutionAlreadyStartedError
      )
        return;
      throw err;
    });
  }

  /** One update to a refund's workflow. */
  updateRefund<Ret, Arg>(refundId: string, def: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
    const handle = this.client.workflow.getHandle(refundWorkflowId(refundId));
    return this.withDeadline(() => handle.executeUpdate(def, { args: [arg] }));
  }

  /** One signal to a refund's workflow. */
  signalRefund<Arg>(refundId: string, def: SignalDefinition<[Arg]>, arg: Arg): Promise<void> {
    const handle = this.client.workflow.getHandle(refundWorkflowId(refundId));
    return this.withDeadline(() => handle.signal(def, arg));
  }

  status(pesananId: string): Promise<OrderState> {
    return this.withDeadline(() => this.client.workflow.getHandle(orderWorkflowId(pesananId)).query(statusQuery));
  }
}
