/** What other domains may use of sessions. */
export { FEED_PATH } from "./service/calendar-feed";
