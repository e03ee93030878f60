CREATE TABLE "batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"course_id" uuid NOT NULL,
	"name" text NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"timezone" text DEFAULT 'Asia/Kolkata' NOT NULL,
	"capacity" integer NOT NULL,
	"enrolment_opens_at" timestamp with time zone NOT NULL,
	"enrolment_closes_at" timestamp with time zone NOT NULL,
	"price_paise_override" integer,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "batches_status_check" CHECK ("batches"."status" in ('scheduled', 'running', 'completed', 'cancelled')),
	CONSTRAINT "batches_dates_check" CHECK ("batches"."end_date" >= "batches"."start_date"),
	CONSTRAINT "batches_enrolment_window_check" CHECK ("batches"."enrolment_closes_at" > "batches"."enrolment_opens_at"),
	CONSTRAINT "batches_capacity_check" CHECK ("batches"."capacity" between 1 and 10000),
	CONSTRAINT "batches_price_override_check" CHECK ("batches"."price_paise_override" is null or "batches"."price_paise_override" >= 0)
);
--> statement-breakpoint
CREATE TABLE "courses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"title" text NOT NULL,
	"summary" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"category" text NOT NULL,
	"level" text NOT NULL,
	"language" text NOT NULL,
	"price_paise" integer NOT NULL,
	"gst_inclusive" boolean DEFAULT true NOT NULL,
	"certificate_min_attendance_pct" integer DEFAULT 75 NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "courses_slug_check" CHECK ("courses"."slug" ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length("courses"."slug") between 3 and 80),
	CONSTRAINT "courses_category_check" CHECK ("courses"."category" ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
	CONSTRAINT "courses_language_check" CHECK ("courses"."language" ~ '^[a-z]{2}$'),
	CONSTRAINT "courses_level_check" CHECK ("courses"."level" in ('beginner', 'intermediate', 'advanced')),
	CONSTRAINT "courses_status_check" CHECK ("courses"."status" in ('draft', 'published', 'archived')),
	CONSTRAINT "courses_price_check" CHECK ("courses"."price_paise" >= 0),
	CONSTRAINT "courses_certificate_attendance_check" CHECK ("courses"."certificate_min_attendance_pct" between 0 and 100),
	CONSTRAINT "courses_published_at_check" CHECK ("courses"."status" <> 'published' or "courses"."published_at" is not null)
);
--> statement-breakpoint
ALTER TABLE "batches" ADD CONSTRAINT "batches_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "batches_course_start_idx" ON "batches" USING btree ("course_id","start_date","id");--> statement-breakpoint
CREATE UNIQUE INDEX "courses_slug_key" ON "courses" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "courses_created_at_idx" ON "courses" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "courses_status_created_at_idx" ON "courses" USING btree ("status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "courses_category_created_at_idx" ON "courses" USING btree ("category","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "courses_level_created_at_idx" ON "courses" USING btree ("level","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "courses_language_created_at_idx" ON "courses" USING btree ("language","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "courses_published_idx" ON "courses" USING btree ("published_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "courses"."status" = 'published';--> statement-breakpoint
CREATE INDEX "courses_published_category_idx" ON "courses" USING btree ("category","published_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "courses"."status" = 'published';--> statement-breakpoint
CREATE INDEX "courses_published_level_idx" ON "courses" USING btree ("level","published_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "courses"."status" = 'published';--> statement-breakpoint
CREATE INDEX "courses_published_language_idx" ON "courses" USING btree ("language","published_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "courses"."status" = 'published';