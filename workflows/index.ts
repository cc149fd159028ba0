// The workflow bundle's entry: every workflow type the worker registers.
export { orderWorkflow } from './order';
export { reconcileWorkflow } from './reconcile';
