// Helpers for driving forms in component tests.
import { within } from '@testing-library/svelte';
import type userEvent from '@testing-library/user-event';

export type User = ReturnType<typeof userEvent.setup>;

/** Types each value into the field of container labelled by its key, in order. */
export async function fillIn(user: User, container: HTMLElement, values: Record<string, string>): Promise<void> {
  for (const [label, value] of Object.entries(values)) {
    await user.type(within(container).getByLabelText(label), value);
  }
}
