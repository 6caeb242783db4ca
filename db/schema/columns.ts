import { timestamp, uuid } from "drizzle-orm/pg-core";
import { uuidv7 } from "#core/ids";

/** Every timestamp is timestamptz and read as a Date in UTC. */
export const utc = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const primaryId = () =>
  uuid("id")
    .primaryKey()
    .$defaultFn(() => uuidv7());

export const lifecycle = {
  createdAt: utc("created_at").notNull().defaultNow(),
  updatedAt: utc("updated_at").notNull().defaultNow(),
};
