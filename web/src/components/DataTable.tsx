// A table of rows that open on click or Enter, loading more as the viewer
// scrolls to its end. One row at a time is in the tab order (roving tabindex):
// Tab reaches the table once, arrow keys move between rows.

import type { ComponentChildren, TargetedKeyboardEvent } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => ComponentChildren;
  /** A class for the column's cells (widths, alignment, hiding on narrow screens). */
  class?: string;
}

interface Props<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  onOpen: (row: T, element: HTMLElement) => void;
  /** The key of the open row, marked as selected. */
  selected?: string | undefined;
  /** Keys of rows to draw attention to (new in live mode). */
  fresh?: ReadonlySet<string>;
  /** Called when the end of the table scrolls into view and more rows exist. */
  onMore?: () => void;
  more: boolean;
  loading: boolean;
  footer?: ComponentChildren;
}

export function DataTable<T>(props: Props<T>) {
  const { caption, columns, rows, rowKey, onOpen, selected, fresh, onMore, more, loading, footer } = props;
  const body = useRef<HTMLTableSectionElement>(null);
  const end = useRef<HTMLDivElement>(null);
  const [focusKey, setFocusKey] = useState<string>();

  useInfiniteScroll(end, more && !loading, onMore);

  const keys = rows.map(rowKey);
  const tabbable = focusKey && keys.includes(focusKey) ? focusKey : (selected ?? keys[0]);

  const focusRow = (index: number): void => {
    const target = Math.max(0, Math.min(keys.length - 1, index));
    const el = body.current?.querySelectorAll<HTMLElement>('tr')[target];
    if (el) {
      setFocusKey(keys[target]);
      el.focus();
    }
  };

  const onKeyDown = (e: TargetedKeyboardEvent<HTMLTableRowElement>, index: number, row: T): void => {
    const page = 10;
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      PageDown: index + page,
      PageUp: index - page,
      Home: 0,
      End: keys.length - 1,
    };
    const to = moves[e.key];
    if (to !== undefined) {
      e.preventDefault();
      focusRow(to);
      // At the end: load the next page, as scrolling would.
      if (to >= keys.length - 1 && more && !loading) onMore?.();
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onOpen(row, e.currentTarget);
    }
  };

  return (
    <div class="datatable">
      <table>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c.key} class={c.class}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody ref={body}>
          {rows.map((row, index) => {
            const key = rowKey(row);
            return (
              <tr
                key={key}
                data-id={key}
                tabIndex={key === tabbable ? 0 : -1}
                aria-selected={key === selected}
                class={`${key === selected ? 'is-selected' : ''} ${fresh?.has(key) ? 'is-fresh' : ''}`}
                onClick={(e) => {
                  setFocusKey(key);
                  onOpen(row, e.currentTarget);
                }}
                onKeyDown={(e) => onKeyDown(e, index, row)}
              >
                {columns.map((c) => (
                  <td key={c.key} class={c.class}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      <div ref={end} class="datatable-end">
        {loading ? <span class="spinner" role="status" aria-label="Loading more" /> : footer}
      </div>
    </div>
  );
}

/** Calls `onMore` whenever `sentinel` comes within a screen of the viewport while `armed`. */
function useInfiniteScroll(sentinel: { current: HTMLElement | null }, armed: boolean, onMore?: () => void): void {
  const callback = useRef(onMore);
  callback.current = onMore;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !armed) return undefined;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) callback.current?.();
      },
      { rootMargin: '0px 0px 600px 0px' },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [sentinel, armed]);
}
