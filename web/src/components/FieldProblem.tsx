// What is wrong with what was typed or asked, in words, announced at once.

import type { ComponentChildren } from 'preact';

export function FieldProblem({
  id,
  class: cls,
  children,
}: {
  id?: string;
  class?: string;
  children: ComponentChildren;
}) {
  return (
    <p id={id} class={`field-problem ${cls ?? ''}`} role="alert">
      {children}
    </p>
  );
}
