import type { User } from "../../../db/schema";
import type { UserView } from "../schemas";

/** The columns a view shows: a whole row, or the principal lookup's copy of them. */
type ViewedUser = Pick<
  User,
  | "id"
  | "email"
  | "fullName"
  | "phone"
  | "role"
  | "status"
  | "emailVerifiedAt"
  | "createdAt"
  | "lastActiveAt"
>;

export function toUserView(u: ViewedUser): UserView {
  return {
    id: u.id,
    email: u.email,
    fullName: u.fullName,
    phone: u.phone,
    role: u.role,
    status: u.status,
    emailVerified: u.emailVerifiedAt !== null,
    createdAt: u.createdAt.toISOString(),
    lastActiveAt: u.lastActiveAt?.toISOString() ?? null,
  };
}

/** What audit snapshots keep of a user (no password hash, no token version). */
export function auditUser(u: User) {
  return {
    email: u.email,
    fullName: u.fullName,
    phone: u.phone,
    role: u.role,
    status: u.status,
    emailVerified: u.emailVerifiedAt !== null,
  };
}
