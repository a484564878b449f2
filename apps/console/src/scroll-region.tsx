/**
 * A table's horizontal scroll container. On a narrow screen it scrolls, so it takes focus
 * (a keyboard user scrolls it with the arrow keys) and carries a name (WCAG 2.1.1).
 */

import type { ComponentChildren } from "preact";

export function ScrollRegion(props: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to be scrolled
    <section class="scroll-x" tabIndex={0} aria-label={props.label}>
      {props.children}
    </section>
  );
}
