/**
 * A windowed list of fixed-height rows: only the rows in view (and a few beyond) are in the
 * DOM, so 10,000 runs scroll like 30. Fixed heights keep it a few lines of arithmetic — no
 * measuring, no layout reads while scrolling — which is why it is not a library.
 * Positions are set through the CSSOM (`style` objects), which the console's CSP allows.
 */

import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

const OVERSCAN = 8;

export interface VirtualListProps<T> {
  items: readonly T[];
  rowHeight: number;
  /** Height of the scrolling viewport in px. */
  height: number;
  label: string;
  /** The total the list will reach once every page is loaded (for screen readers). */
  total?: number;
  keyOf: (item: T) => string;
  row: (item: T, index: number) => ComponentChildren;
  /** Called when the last rendered row is within OVERSCAN rows of the end (load the next page). */
  onNearEnd?: () => void;
}

export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight, height } = props;
  const [scrollTop, setScrollTop] = useState(0);
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);
  const nearEnd = last >= items.length - OVERSCAN;
  const onNearEnd = props.onNearEnd;
  useEffect(() => {
    if (nearEnd) onNearEnd?.();
  }, [nearEnd, onNearEnd, items.length]);
  const visible = items.slice(first, last);
  return (
    <div
      class="virtual"
      style={{ height: `${height}px` }}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
    >
      <ul
        class="virtual-rows"
        aria-label={props.label}
        style={{ height: `${items.length * rowHeight}px`, position: "relative" }}
      >
        {visible.map((item, offset) => {
          const index = first + offset;
          return (
            <li
              key={props.keyOf(item)}
              aria-setsize={props.total ?? items.length}
              aria-posinset={index + 1}
              style={{
                position: "absolute",
                top: `${index * rowHeight}px`,
                height: `${rowHeight}px`,
                left: 0,
                right: 0,
              }}
            >
              {props.row(item, index)}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
