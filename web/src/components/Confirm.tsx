// Asks before something that cannot be undone (revoking a key, removing a
// member): says what will happen, and the confirming button names the action.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { describe } from '../api/errors';
import { Dialog } from './Dialog';
import { FieldProblem } from './FieldProblem';

interface Props {
  title: string;
  children: ComponentChildren;
  /** The confirming button's words, e.g. "Revoke the key". */
  confirm: string;
  /** Does it; a refusal is shown in the dialog, which then stays open. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

export function Confirm({ title, children, confirm, onConfirm, onClose }: Props) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const go = async (): Promise<void> => {
    setBusy(true);
    setProblem(undefined);
    try {
      await onConfirm();
      onClose();
    } catch (e) {
      setProblem(describe(e));
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <div class="dialog-body">
        {children}
        {problem ? <FieldProblem>{problem}</FieldProblem> : null}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} autoFocus>
            Cancel
          </button>
          <button type="button" class="button primary danger" disabled={busy} onClick={() => void go()}>
            {confirm}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
