/**
 * IndexedHeap: a binary min-heap whose items remember their own slot, so removing any item
 * (a cancelled task) is O(log n) — no scan and no rebuild. The scheduler keeps one per
 * rate key; the comparator puts the task to admit next at the top.
 */

/** An item that can live in one IndexedHeap at a time; the heap owns `heapIndex`. */
export interface HeapItem {
  heapIndex: number;
}

export class IndexedHeap<T extends HeapItem> {
  readonly #items: T[] = [];
  readonly #before: (a: T, b: T) => boolean;

  /** `before(a, b)` is true when `a` must leave the heap before `b`. */
  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.#removeAt(0);
    return top;
  }

  /** Removes `item` if it is in this heap; returns whether it was. O(log n). */
  remove(item: T): boolean {
    const index = item.heapIndex;
    if (index < 0 || this.#items[index] !== item) return false;
    this.#removeAt(index);
    return true;
  }

  /** The items in heap (not sorted) order; for inspection only. */
  values(): readonly T[] {
    return this.#items;
  }

  #removeAt(index: number): void {
    const items = this.#items;
    const removed = items[index] as T;
    const last = items.pop() as T;
    removed.heapIndex = -1;
    if (last === removed) return;
    items[index] = last;
    last.heapIndex = index;
    if (index > 0 && this.#before(last, items[(index - 1) >> 1] as T)) this.#up(index);
    else this.#down(index);
  }

  #up(start: number): void {
    const items = this.#items;
    const item = items[start] as T;
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!this.#before(item, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  #down(start: number): void {
    const items = this.#items;
    const length = items.length;
    const item = items[start] as T;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && this.#before(items[right] as T, items[left] as T)) child = right;
      const childItem = items[child] as T;
      if (!this.#before(childItem, item)) break;
      items[index] = childItem;
      childItem.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
