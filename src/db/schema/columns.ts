import { timestamp } from "drizzle-orm/pg-core";

export const tz = { withTimezone: true } as const;

/** created_at / updated_at, spread into tables that change. */
export const timestamps = {
  createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", tz)
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
};
