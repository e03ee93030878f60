-- Payments, refunds, invoices and credit notes: owner, grants, row-level security, the payment
-- state machine, immutable tax documents and their gapless numbering.
--
-- Who sees what, through app_runtime and a verified context (app_enter, migration 0011):
--   * students: their own payments and their own invoices and credit notes; nothing else
--     (events carry the provider's raw fields, refunds the admins' reasons);
--   * admins and super admins: everything, read-only: their refunds are written by the service
--     in the system context after it checked them, with the admin recorded as the actor;
--   * system (checkout, webhooks, the return page, scheduled jobs): reads and writes;
--   * no verified context: nothing.
-- Nobody deletes anything here, and an issued invoice or credit note is never changed.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['payments', 'payment_events', 'refunds', 'invoices', 'document_counters']
  LOOP
    EXECUTE format('ALTER TABLE %I OWNER TO app_owner', t);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR ALL TO app_runtime USING ((SELECT app_role()) = ''system'') WITH CHECK ((SELECT app_role()) = ''system'')',
      t || '_system', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['payments', 'payment_events', 'refunds', 'invoices']
  LOOP
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR SELECT TO app_runtime USING ((SELECT app_is_admin()))',
      t || '_admin_select', t);
  END LOOP;
END
$$;
--> statement-breakpoint
ALTER SEQUENCE payment_events_id_seq OWNER TO app_owner;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON payments, refunds, document_counters TO app_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT ON payment_events, invoices TO app_runtime;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE payment_events_id_seq TO app_runtime;
--> statement-breakpoint
CREATE POLICY payments_own_select ON payments FOR SELECT TO app_runtime
  USING (user_id = (SELECT app_user_id()));
--> statement-breakpoint
CREATE POLICY invoices_own_select ON invoices FOR SELECT TO app_runtime
  USING (user_id = (SELECT app_user_id()));
--> statement-breakpoint
-- The state machine (src/db/schema/payments.ts), for every role and every writer: a payment
-- moves forward only; what it is for and what it costs never change; a refund total only grows.
CREATE OR REPLACE FUNCTION payments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'created' OR NEW.refunded_paise <> 0 THEN
      RAISE EXCEPTION 'a payment starts created, with nothing refunded' USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
  END IF;
  IF (NEW.enrolment_id, NEW.user_id, NEW.amount_paise, NEW.currency, NEW.provider, NEW.created_at)
     IS DISTINCT FROM
     (OLD.enrolment_id, OLD.user_id, OLD.amount_paise, OLD.currency, OLD.provider, OLD.created_at) THEN
    RAISE EXCEPTION 'a payment keeps its enrolment, buyer, amount and provider' USING ERRCODE = '23514';
  END IF;
  IF OLD.provider_request_id IS NOT NULL
     AND NEW.provider_request_id IS DISTINCT FROM OLD.provider_request_id THEN
    RAISE EXCEPTION 'a payment keeps its payment request' USING ERRCODE = '23514';
  END IF;
  IF OLD.provider_payment_id IS NOT NULL
     AND NEW.provider_payment_id IS DISTINCT FROM OLD.provider_payment_id THEN
    RAISE EXCEPTION 'a settled payment keeps its provider payment' USING ERRCODE = '23514';
  END IF;
  IF NEW.refunded_paise < OLD.refunded_paise THEN
    RAISE EXCEPTION 'refunds only add up' USING ERRCODE = '23514';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'created' AND NEW.status IN ('pending', 'failed', 'expired'))
    OR (OLD.status = 'pending' AND NEW.status IN ('paid', 'failed', 'expired'))
    OR (OLD.status IN ('failed', 'expired') AND NEW.status = 'paid')
    OR (OLD.status = 'paid' AND NEW.status IN ('partially_refunded', 'refunded'))
    OR (OLD.status = 'partially_refunded' AND NEW.status = 'refunded')
  ) THEN
    RAISE EXCEPTION 'a payment cannot go from % to %', OLD.status, NEW.status
      USING ERRCODE = '23514';
  END IF;
  IF NEW.refunded_paise <> OLD.refunded_paise
     AND NEW.status NOT IN ('partially_refunded', 'refunded') THEN
    RAISE EXCEPTION 'only a refunded payment has refunds' USING ERRCODE = '23514';
  END IF;
  IF NEW.status = 'refunded' AND NEW.refunded_paise <> NEW.amount_paise THEN
    RAISE EXCEPTION 'a refunded payment is refunded in full' USING ERRCODE = '23514';
  END IF;
  IF NEW.status = 'partially_refunded'
     AND NOT (NEW.refunded_paise > 0 AND NEW.refunded_paise < NEW.amount_paise) THEN
    RAISE EXCEPTION 'a partially refunded payment is refunded in part' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION payments_guard() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER payments_guard BEFORE INSERT OR UPDATE ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_guard();
--> statement-breakpoint
-- A refund moves requested → pending → refunded, or to failed from requested or pending; its
-- payment, amount and transaction id never change.
CREATE OR REPLACE FUNCTION refunds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'requested' THEN
      RAISE EXCEPTION 'a refund starts requested' USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
  END IF;
  IF (NEW.payment_id, NEW.amount_paise, NEW.transaction_id, NEW.type, NEW.requested_by, NEW.created_at)
     IS DISTINCT FROM
     (OLD.payment_id, OLD.amount_paise, OLD.transaction_id, OLD.type, OLD.requested_by, OLD.created_at) THEN
    RAISE EXCEPTION 'a refund keeps its payment, amount and transaction id' USING ERRCODE = '23514';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'requested' AND NEW.status IN ('pending', 'refunded', 'failed'))
    OR (OLD.status = 'pending' AND NEW.status IN ('refunded', 'failed'))
  ) THEN
    RAISE EXCEPTION 'a refund cannot go from % to %', OLD.status, NEW.status
      USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION refunds_guard() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER refunds_guard BEFORE INSERT OR UPDATE ON refunds
  FOR EACH ROW EXECUTE FUNCTION refunds_guard();
--> statement-breakpoint
-- India's financial year (April to March) of an instant, in India's time: '2026-27'.
CREATE OR REPLACE FUNCTION financial_year(p_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT to_char(y, 'FM0000') || '-' || to_char((y + 1) % 100, 'FM00')
    FROM (SELECT CASE WHEN extract(month FROM p_at AT TIME ZONE 'Asia/Kolkata') >= 4
                      THEN extract(year FROM p_at AT TIME ZONE 'Asia/Kolkata')::int
                      ELSE extract(year FROM p_at AT TIME ZONE 'Asia/Kolkata')::int - 1 END AS y) fy
$$;
--> statement-breakpoint
ALTER FUNCTION financial_year(timestamptz) OWNER TO app_owner;
--> statement-breakpoint
-- The next number of a document series: `<prefix>/<yy-yy>/<serial, 6 digits>`, e.g.
-- INV/26-27/000001 (16 characters with a 3-letter prefix). The counter row stays locked until
-- the caller's transaction ends, and a rollback takes the increment back with it: numbers are
-- consecutive and gapless, as CGST Rule 46(b) asks. Call it in the transaction that issues.
CREATE OR REPLACE FUNCTION next_document_number(p_kind text, p_prefix text, p_at timestamptz,
                                                OUT number text, OUT financial_year text,
                                                OUT serial integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF p_prefix !~ '^[A-Z]{1,3}$' THEN
    RAISE EXCEPTION 'a document prefix is 1 to 3 capital letters' USING ERRCODE = '22023';
  END IF;
  next_document_number.financial_year := public.financial_year(p_at);
  INSERT INTO document_counters AS c (kind, financial_year, last_serial)
  VALUES (p_kind, next_document_number.financial_year, 1)
  ON CONFLICT (kind, financial_year) DO UPDATE SET last_serial = c.last_serial + 1
  RETURNING c.last_serial INTO serial;
  number := p_prefix || '/' || substr(next_document_number.financial_year, 3, 2) || '-'
            || substr(next_document_number.financial_year, 6, 2) || '/' || lpad(serial::text, 6, '0');
  IF length(number) > 16 OR serial > 999999 THEN
    RAISE EXCEPTION 'the % series of % is full', p_kind, next_document_number.financial_year
      USING ERRCODE = '22003';
  END IF;
END
$$;
--> statement-breakpoint
ALTER FUNCTION next_document_number(text, text, timestamptz) OWNER TO app_owner;
