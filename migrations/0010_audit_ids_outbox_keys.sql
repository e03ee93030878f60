CREATE TABLE "app_keys" (
	"name" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"installed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "app_keys_key_length_check" CHECK (length("app_keys"."key") >= 32)
);
--> statement-breakpoint
ALTER TABLE "audit_logs" ALTER COLUMN "id" DROP IDENTITY;--> statement-breakpoint
ALTER TABLE "audit_logs" ALTER COLUMN "id" SET DEFAULT 0;--> statement-breakpoint
ALTER TABLE "email_outbox" ALTER COLUMN "text_body" DROP NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_logs_email_hmac_idx" ON "audit_logs" USING btree (("after"->>'emailHmac')) WHERE ("audit_logs"."after"->>'emailHmac') is not null;
--> statement-breakpoint
-- Hand-written below (drizzle-kit wrote the statements above; DROP IDENTITY moved first, since
-- an identity column takes no DEFAULT).
--
-- audit_logs ids come from a trigger, not from the writer. The identity column let any writer
-- pick an id with OVERRIDING SYSTEM VALUE, e.g. one far above the sequence, which would have
-- put every later row "out of order" for the checkpoint chain. Now `id` defaults to 0 ("assign
-- one"), any other value is refused, and audit_logs_set_hash() draws the id from a sequence.
-- DROP IDENTITY dropped the identity's sequence: a plain one takes its name and its position.
CREATE SEQUENCE audit_logs_id_seq AS bigint;
--> statement-breakpoint
SELECT setval('audit_logs_id_seq', coalesce((SELECT max(id) FROM audit_logs), 0) + 1, false);
--> statement-breakpoint
ALTER SEQUENCE audit_logs_id_seq OWNER TO app_owner;
--> statement-breakpoint
ALTER SEQUENCE audit_logs_id_seq OWNED BY audit_logs.id;
--> statement-breakpoint
-- The trigger runs as the inserting role. USAGE lets app_runtime draw ids (nextval), never set
-- the sequence (setval needs UPDATE).
GRANT USAGE ON SEQUENCE audit_logs_id_seq TO app_runtime;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_logs_set_hash() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM 0 THEN
    RAISE EXCEPTION 'audit_logs.id is assigned by the database; insert without an id'
      USING ERRCODE = '428C9';
  END IF;
  NEW.id := nextval('public.audit_logs_id_seq');
  -- The Worker cannot backdate audit rows: for its role, occurred_at is the database's clock.
  IF current_user = 'app_runtime' THEN
    NEW.occurred_at := now();
  END IF;
  NEW.row_hash := audit_row_hash(NEW);
  RETURN NEW;
END
$$;
--> statement-breakpoint
-- email_outbox keeps metadata only. Bodies and links carry live tokens (password reset, email
-- verification): whatever a writer sends (including a Worker version from before this
-- migration), they are blanked. Rows written before are cleared here. The columns go in a
-- later, contracting migration.
CREATE OR REPLACE FUNCTION email_outbox_no_content() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.text_body := NULL;
  NEW.html_body := NULL;
  NEW.links := '[]'::jsonb;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION email_outbox_no_content() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER email_outbox_no_content BEFORE INSERT OR UPDATE ON email_outbox
  FOR EACH ROW EXECUTE FUNCTION email_outbox_no_content();
--> statement-breakpoint
UPDATE email_outbox SET text_body = NULL
  WHERE text_body IS NOT NULL OR html_body IS NOT NULL OR links <> '[]'::jsonb;
