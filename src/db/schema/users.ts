import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { timestamps, tz } from "./columns";

export const userRoles = ["student", "admin", "super_admin"] as const;
export type UserRole = (typeof userRoles)[number];
export const userStatuses = ["active", "disabled"] as const;
export type UserStatus = (typeof userStatuses)[number];

export const users = pgTable(
  "users",
  {
    id: uuid().primaryKey().defaultRandom(),
    /** Lower-cased and trimmed before it gets here. */
    email: text().notNull(),
    emailVerifiedAt: timestamp("email_verified_at", tz),
    /** Self-describing ($algorithm$params$salt$hash) so parameters can be raised later. */
    passwordHash: text("password_hash").notNull(),
    fullName: text("full_name").notNull(),
    /** E.164. */
    phone: text(),
    /**
     * The name as certificates should print it, when it differs from `full_name` (spelling,
     * script): the student may set it once; an admin may correct it after that.
     */
    certificateName: text("certificate_name"),
    certificateNameSetAt: timestamp("certificate_name_set_at", tz),
    role: text({ enum: userRoles }).notNull().default("student"),
    status: text({ enum: userStatuses }).notNull().default("active"),
    /** Bumped by logout-all, password change and disable: older access tokens stop working. */
    tokenVersion: integer("token_version").notNull().default(0),
    lastActiveAt: timestamp("last_active_at", tz),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("users_email_key").on(t.email),
    check("users_role_check", sql`${t.role} in ('student', 'admin', 'super_admin')`),
    check("users_status_check", sql`${t.status} in ('active', 'disabled')`),
    check("users_email_lower_check", sql`${t.email} = lower(${t.email})`),
    // Admin user list: newest first, optionally filtered by role and status.
    index("users_created_at_idx").on(t.createdAt.desc(), t.id.desc()),
    // With id: filtered lists are ordered by (created_at, id) and read from this index alone.
    index("users_role_status_created_at_idx").on(t.role, t.status, t.createdAt.desc(), t.id.desc()),
    // Admin text search on name and email (ILIKE '%…%').
    index("users_search_trgm_idx").using(
      "gin",
      sql`(lower(${t.fullName} || ' ' || ${t.email})) gin_trgm_ops`,
    ),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
