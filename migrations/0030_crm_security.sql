-- CRM and messaging: owner, grants and row-level security.
--
-- Who sees what, through app_runtime and a verified context (app_enter, migration 0011):
--   * students: nothing here. Leads, conversations and the outbox are the business' records;
--     a student's own messages reach them by email, WhatsApp or SMS, not through these tables;
--   * admins and super admins: read and write the CRM (contacts, activities, consents,
--     conversations, messages) and read the outbox and suppression list;
--   * any verified context may add to the outbox (a notification is written in the same
--     transaction as the change that caused it, whoever made it), never read or change it;
--   * system (the public lead form, webhooks, the queue consumer, scheduled jobs): everything;
--   * no verified context: nothing.
-- Nobody but system deletes, and only suppressions (a contact who opts back in).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['contacts', 'contact_activities', 'consents', 'conversations',
                            'messages', 'suppressions', 'notifications']
  LOOP
    EXECUTE format('ALTER TABLE %I OWNER TO app_owner', t);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR ALL TO app_runtime USING ((SELECT app_role()) = ''system'') WITH CHECK ((SELECT app_role()) = ''system'')',
      t || '_system', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['contacts', 'contact_activities', 'consents', 'conversations', 'messages']
  LOOP
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR SELECT TO app_runtime USING ((SELECT app_is_admin()))',
      t || '_admin_select', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR INSERT TO app_runtime WITH CHECK ((SELECT app_is_admin()))',
      t || '_admin_insert', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR UPDATE TO app_runtime USING ((SELECT app_is_admin())) WITH CHECK ((SELECT app_is_admin()))',
      t || '_admin_update', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['suppressions', 'notifications']
  LOOP
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR SELECT TO app_runtime USING ((SELECT app_is_admin()))',
      t || '_admin_select', t);
  END LOOP;
END
$$;
--> statement-breakpoint
CREATE POLICY notifications_any_insert ON notifications FOR INSERT TO app_runtime
  WITH CHECK ((SELECT app_role()) IS NOT NULL);
--> statement-breakpoint
ALTER SEQUENCE contact_activities_id_seq OWNER TO app_owner;
--> statement-breakpoint
ALTER SEQUENCE consents_id_seq OWNER TO app_owner;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON contacts, conversations, messages, notifications TO app_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT ON contact_activities, consents TO app_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON suppressions TO app_runtime;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE contact_activities_id_seq, consents_id_seq TO app_runtime;
--> statement-breakpoint
-- A message's delivery status only moves forward (statuses arrive out of order: a late
-- `delivered` never overwrites `read`), whoever writes it; `failed` can follow only an
-- undelivered state, and only an admin's retry moves a failed one back to queued. Other columns of a message never change once written, except the provider
-- id and error its delivery fills in.
CREATE OR REPLACE FUNCTION message_status_rank(s text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE s WHEN 'received' THEN 0 WHEN 'queued' THEN 0 WHEN 'sent' THEN 1
                WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 2 END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION messages_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.conversation_id, NEW.direction, NEW.body, NEW.template, NEW.template_params,
      NEW.sent_by, NEW.created_at)
     IS DISTINCT FROM
     (OLD.conversation_id, OLD.direction, OLD.body, OLD.template, OLD.template_params,
      OLD.sent_by, OLD.created_at) THEN
    RAISE EXCEPTION 'a message keeps what it said' USING ERRCODE = '23514';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       -- forward along queued/received → sent → delivered → read
       (OLD.status NOT IN ('failed', 'read') AND NEW.status <> 'failed'
        AND message_status_rank(NEW.status) > message_status_rank(OLD.status))
       -- a delivery that did not happen
       OR (NEW.status = 'failed' AND OLD.status IN ('queued', 'sent'))
       -- an admin's retry of a failed one
       OR (OLD.status = 'failed' AND NEW.status = 'queued' AND NEW.direction = 'outbound')) THEN
    RAISE EXCEPTION 'a message status moves forward only (% to %)', OLD.status, NEW.status
      USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER messages_guard BEFORE UPDATE ON messages
  FOR EACH ROW EXECUTE FUNCTION messages_guard();
--> statement-breakpoint
ALTER FUNCTION messages_guard() OWNER TO app_owner;
--> statement-breakpoint
ALTER FUNCTION message_status_rank(text) OWNER TO app_owner;
--> statement-breakpoint
-- Whether an address may receive a message on a channel, for any writer of the outbox (a
-- student's action may queue a notification too) without letting them read the list itself.
CREATE OR REPLACE FUNCTION suppression_of(p_channel text, p_address text, p_transactional boolean)
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT reason FROM suppressions
   WHERE channel = p_channel AND address = p_address
     AND (scope = 'all' OR NOT p_transactional)
$$;
--> statement-breakpoint
-- The function runs as app_owner (SECURITY DEFINER): this read-only policy lets it see the list,
-- and nothing else runs as app_owner.
CREATE POLICY suppressions_owner_lookup ON suppressions FOR SELECT TO app_owner USING (true);
--> statement-breakpoint
ALTER FUNCTION suppression_of(text, text, boolean) OWNER TO app_owner;
--> statement-breakpoint
REVOKE ALL ON FUNCTION suppression_of(text, text, boolean) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION suppression_of(text, text, boolean) TO app_runtime;
