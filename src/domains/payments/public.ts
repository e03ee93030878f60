/** What other domains (and jobs) may use of payments. */
export { settleCancellation } from "./service/cancellation";
export type { PaymentsContext } from "./service/context";
export { type ReconcileReport, reconcilePayments } from "./service/reconcile";
export { sendRefund } from "./service/refunds";
