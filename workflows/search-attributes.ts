import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * The custom search attributes every order workflow keeps current, so the
 * Temporal Web UI and `temporal workflow list --query 'EscrowStatus="held"'`
 * can find any order by its business state. All are Keyword attributes.
 */
export const OrderIdKey = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const TransactionIdKey = defineSearchAttributeKey('TransactionId', SearchAttributeType.KEYWORD);
export const PaymentStatusKey = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);
export const EscrowStatusKey = defineSearchAttributeKey('EscrowStatus', SearchAttributeType.KEYWORD);
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const WithdrawalStatusKey = defineSearchAttributeKey('WithdrawalStatus', SearchAttributeType.KEYWORD);
/** `open` or `resolved` on an order with a dispute (`EscrowStatus="disputed"` lists the open ones too). */
export const DisputeStatusKey = defineSearchAttributeKey('DisputeStatus', SearchAttributeType.KEYWORD);
/** A refund's status, on the order workflow that decided it and on the refund's own workflow. */
export const RefundStatusKey = defineSearchAttributeKey('RefundStatus', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_NAMES = [
  OrderIdKey.name,
  TransactionIdKey.name,
  PaymentStatusKey.name,
  EscrowStatusKey.name,
  OrderStatusKey.name,
  WithdrawalStatusKey.name,
  DisputeStatusKey.name,
  RefundStatusKey.name,
] as const;
