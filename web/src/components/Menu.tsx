// A button that opens a menu of actions (WAI-ARIA menu button): arrow keys move
// between items, Escape closes and gives focus back to the button.

import type { ComponentChildren, TargetedKeyboardEvent } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useDismiss } from './useDismiss';

export interface MenuItem {
  label: string;
  onSelect: () => void;
}

interface Props {
  label: string;
  button: ComponentChildren;
  header?: ComponentChildren;
  items: MenuItem[];
  class?: string;
}

export function Menu({ label, button, header, items, class: cls }: Props) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  useDismiss(root, open, () => setOpen(false));

  useEffect(() => {
    if (open) list.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus();
  }, [open]);

  const close = (): void => {
    setOpen(false);
    trigger.current?.focus();
  };

  const onKeyDown = (e: TargetedKeyboardEvent<HTMLDivElement>): void => {
    const entries = [...(list.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
    const at = entries.indexOf(document.activeElement as HTMLElement);
    const move = (to: number): void => {
      e.preventDefault();
      entries[(to + entries.length) % entries.length]?.focus();
    };
    if (e.key === 'ArrowDown') move(at + 1);
    else if (e.key === 'ArrowUp') move(at - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(entries.length - 1);
    else if (e.key === 'Escape' || e.key === 'Tab') close();
  };

  return (
    <div class={`menu ${cls ?? ''}`} ref={root}>
      <button
        ref={trigger}
        type="button"
        class="menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={label}
        onClick={() => setOpen(!open)}
      >
        {button}
      </button>
      {open ? (
        <div class="menu-popup" ref={list} onKeyDown={onKeyDown}>
          {header}
          <div role="menu" aria-label={label}>
            {items.map((item) => (
              <button
                type="button"
                role="menuitem"
                key={item.label}
                tabIndex={-1}
                onClick={() => {
                  setOpen(false);
                  item.onSelect();
                }}
              >
                {item.label}
              </button>
            ))}
          </div>
        </div>
      ) : null}
    </div>
  );
}
