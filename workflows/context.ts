import type { HistoryTopic, OrderState, OrderWorkflowInput } from './messages';

/** What the order workflow's phases share: its input, its state, and the one way to record an event. */
export interface OrderContext {
  input: OrderWorkflowInput;
  state: OrderState;
  /** Appends to the readable history and republishes search attributes and current details. */
  record(event: string, topic?: HistoryTopic): void;
}

/** How a payment phase ended: the money is held in escrow, or the order is closed without it. */
export type PaymentPhaseResult = 'settled' | 'closed';
