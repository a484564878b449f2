/**
 * @module @oxios/tools/testing — in-memory fakes of the ports (memory, space, kernel, audit)
 * with a Hold to freeze calls mid-flight, for tests of tools and of code that composes them.
 */
export {
  FakeKernelPort,
  InMemoryAuditSink,
  InMemoryMemoryPort,
  InMemorySpacePort,
  type RecordedAuditEntry,
} from "./fake-ports.ts";
export { Hold } from "./hold.ts";
