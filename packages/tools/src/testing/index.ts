/**
 * @module @oxios/tools/testing — in-memory fakes of the ports (memory, space, kernel, audit)
 * with a Hold to freeze calls mid-flight, and a fake A2A kernel port, for tests of tools and of
 * code that composes them.
 */
export { FakeA2aKernelPort } from "./fake-a2a-kernel.ts";
export {
  FakeKernelPort,
  InMemoryAuditSink,
  InMemoryMemoryPort,
  InMemorySpacePort,
  type RecordedAuditEntry,
} from "./fake-ports.ts";
export { Hold } from "./hold.ts";
