DROP INDEX "tickets_first_response_risk_idx";--> statement-breakpoint
DROP INDEX "tickets_first_response_due_idx";--> statement-breakpoint
DROP INDEX "tickets_resolution_risk_idx";--> statement-breakpoint
DROP INDEX "tickets_resolution_due_idx";--> statement-breakpoint
CREATE INDEX "tickets_first_response_risk_idx" ON "tickets" USING btree ("first_response_at_risk_at") WHERE "tickets"."first_response_sla" = 'ok';--> statement-breakpoint
CREATE INDEX "tickets_first_response_due_idx" ON "tickets" USING btree ("first_response_due_at") WHERE "tickets"."first_response_sla" <> 'breached';--> statement-breakpoint
CREATE INDEX "tickets_resolution_risk_idx" ON "tickets" USING btree ("resolution_at_risk_at") WHERE "tickets"."resolution_sla" = 'ok';--> statement-breakpoint
CREATE INDEX "tickets_resolution_due_idx" ON "tickets" USING btree ("resolution_due_at") WHERE "tickets"."resolution_sla" <> 'breached';