import { InMemorySpaceStore } from "./in-memory-space-store.ts";
import { describeSpaceStoreContract } from "./store-contract.fixture.ts";

// The in-memory store lives as long as the object: a "restart" is a new manager over it.
describeSpaceStoreContract("in-memory", async () => {
  const store = new InMemorySpaceStore();
  return { store, reopen: async () => store, close: () => Promise.resolve() };
});
