CREATE TABLE "error_logs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "error_logs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"severity" text NOT NULL,
	"code" text NOT NULL,
	"status" integer NOT NULL,
	"message" text NOT NULL,
	"stack" text,
	"route" text,
	"method" text,
	"path" text,
	"request_id" text,
	"user_id" text,
	"user_agent" text,
	CONSTRAINT "error_logs_severity_check" CHECK ("error_logs"."severity" in ('warning', 'error', 'fatal'))
);
--> statement-breakpoint
CREATE INDEX "error_logs_occurred_at_idx" ON "error_logs" USING btree ("occurred_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "error_logs_code_occurred_at_idx" ON "error_logs" USING btree ("code","occurred_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "error_logs_severity_occurred_at_idx" ON "error_logs" USING btree ("severity","occurred_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "error_logs_request_id_idx" ON "error_logs" USING btree ("request_id");