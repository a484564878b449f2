/** @module @oxios/event-bus/testing — a publisher that records events, for tests. */
export { RecordingPublisher } from "./recording-publisher.ts";
