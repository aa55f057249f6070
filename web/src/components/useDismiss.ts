// Closes a popup when the pointer goes down outside it or Escape is pressed.

import type { RefObject } from 'preact';
import { useEffect } from 'preact/hooks';

export function useDismiss(root: RefObject<HTMLElement | null>, open: boolean, close: () => void): void {
  useEffect(() => {
    if (!open) return undefined;
    const outside = (e: PointerEvent): void => {
      if (root.current && !root.current.contains(e.target as Node)) close();
    };
    const escape = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') close();
    };
    document.addEventListener('pointerdown', outside);
    document.addEventListener('keydown', escape);
    return () => {
      document.removeEventListener('pointerdown', outside);
      document.removeEventListener('keydown', escape);
    };
  }, [root, open, close]);
}
