// LanceDB (@lancedb/lancedb 0.31.0, embedded) as the vector baseline: the same float vectors
// (read from the store's memory_embeddings), cosine distance, an IVF-PQ index rebuilt at each
// corpus size, queried with a sweep of nprobes × refine factor so the chart shows its whole
// latency/recall curve and the table its fastest setting at recall@10 ≥ 0.95.
import { createRequire } from "node:module";
import * as lancedb from "@lancedb/lancedb";

// LanceDB is CommonJS and checks `instanceof` against the CommonJS build of apache-arrow; the
// ES module build is a second copy whose classes fail that check, so the bench loads the same one.
const arrow = createRequire(import.meta.url)("apache-arrow") as typeof import("apache-arrow");
const { FixedSizeList, Field, Float32, Int64, makeData, RecordBatch, Schema, Struct, Table } = arrow;

export interface LanceSetting {
  nprobes: number;
  refineFactor: number;
}

export class LanceBaseline {
  readonly #table: lancedb.Table;
  readonly #dimensions: number;
  #rows = 0;

  private constructor(table: lancedb.Table, dimensions: number) {
    this.#table = table;
    this.#dimensions = dimensions;
  }

  static async create(directory: string, dimensions: number): Promise<LanceBaseline> {
    const connection = await lancedb.connect(directory);
    const schema = new Schema([
      new Field("id", new Int64(), false),
      new Field("vector", new FixedSizeList(dimensions, new Field("item", new Float32(), false)), false),
    ]);
    const table = await connection.createEmptyTable("memories", schema, { mode: "overwrite" });
    return new LanceBaseline(table, dimensions);
  }

  get rows(): number {
    return this.#rows;
  }

  /** Appends vectors (`vectors` holds `ids.length` × dimensions floats). */
  async add(ids: BigInt64Array, vectors: Float32Array): Promise<void> {
    const count = ids.length;
    const itemField = new Field("item", new Float32(), false);
    const listType = new FixedSizeList(this.#dimensions, itemField);
    const items = makeData({ type: new Float32(), length: count * this.#dimensions, data: vectors });
    const list = makeData({ type: listType, length: count, child: items });
    const idData = makeData({ type: new Int64(), length: count, data: ids });
    const struct = makeData({
      type: new Struct([new Field("id", new Int64(), false), new Field("vector", listType, false)]),
      length: count,
      children: [idData, list],
    });
    const batch = new RecordBatch(
      new Schema([new Field("id", new Int64(), false), new Field("vector", listType, false)]),
      struct,
    );
    await this.#table.add(new Table(batch));
    this.#rows += count;
  }

  /**
   * (Re)builds the IVF-PQ index over every row: √rows partitions (LanceDB's default), 64
   * sub-vectors of 8 dimensions (finer than its default of 16, for recall). K-means trains on
   * 64 rows a partition for 20 iterations instead of its default 256 and 50, so that the 1M
   * index builds in minutes on the bench's 2-core machine; the sweep's nprobes and refine
   * factor then buy back the recall.
   */
  async index(): Promise<number> {
    const started = performance.now();
    await this.#table.createIndex("vector", {
      config: lancedb.Index.ivfPq({
        distanceType: "cosine",
        numPartitions: Math.max(1, Math.round(Math.sqrt(this.#rows))),
        numSubVectors: this.#dimensions / 8,
        sampleRate: 64,
        maxIterations: 20,
      }),
      replace: true,
    });
    return performance.now() - started;
  }

  /** The ids of the 10 nearest rows to `vector` with `setting`. */
  async search(vector: Float32Array, setting: LanceSetting): Promise<number[]> {
    const rows = (await this.#table
      .vectorSearch(vector)
      .distanceType("cosine")
      .nprobes(setting.nprobes)
      .refineFactor(setting.refineFactor)
      .select(["id"])
      .limit(10)
      .toArray()) as Array<{ id: bigint | number }>;
    return rows.map((row) => Number(row.id));
  }
}
