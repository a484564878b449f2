// A process that writes memories until it is killed: batches of concurrent remembers (group
// commits), with forgets and updates between them. It prints "COMMITTED <n>" after each batch.
// Run: node --conditions=@oxios/source --import tsx remember-until-killed.ts <path>
import { MemoryStore } from "../memory-store.ts";
import { HashingEmbedder } from "../hashing-embedder.ts";

const path = process.argv[2] as string;
const store = await MemoryStore.open({
  url: `file:${path}`,
  embedder: new HashingEmbedder(),
  tierCaps: { hot: { count: 50, tokens: 3_000 }, warm: { count: 500 }, cold: { count: 100_000 } },
});
const words = ["deploy", "vault", "build", "cores", "coffee", "release", "freeze", "kernel", "journal", "memory"];
for (let batch = 0; ; batch++) {
  await Promise.all(
    Array.from({ length: 64 }, (_, index) => {
      const serial = batch * 64 + index;
      const text = Array.from({ length: 6 }, (_, word) => words[(serial * 7 + word * 3) % words.length]).join(" ");
      return store.remember({ content: `${text} note ${serial}`, type: "fact" });
    }),
  );
  const recent = await store.list({ limit: 4 });
  if (recent[0] !== undefined) await store.forget(recent[0].id);
  if (recent[1] !== undefined) await store.update(recent[1].id, { content: `rewritten in batch ${batch}` });
  process.stdout.write(`COMMITTED ${batch + 1}\n`);
}
