/**
 * Shared contact matching (leads, import, inbox): one contact per person, found by email or
 * phone, linked to the student account with those addresses. See match.ts for the rules.
 */
export {
  type ContactDetails,
  type ContactMatch,
  contactAddresses,
  type FindOrCreateOptions,
  findOrCreateContact,
  lockContactAddresses,
  type MatchedBy,
} from "./match";
export { normalizeContactEmail, normalizeContactPhone } from "./normalize";
