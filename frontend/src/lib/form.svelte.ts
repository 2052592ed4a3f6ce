// What every Keysmith form does around its one backend call: ignore a second
// submit while the first is in flight, refuse locally caught problems before
// calling, and show any error in an ErrorBox that takes keyboard focus (so
// keyboard and screen reader users land on it), marking the field it is about.
import { tick } from 'svelte';
import { fieldOf } from './api';

/** A locally caught problem: the field it concerns and the sentence to show. */
export type Problem<F extends string> = [field: F, message: string];

/** What bind:this gives for an ErrorBox; only focus() is needed. */
interface Focusable {
  focus(): void;
}

export class FormState<F extends string = string> {
  /**
   * fields: the fields a backend refusal may name, marked aria-invalid when
   * it does; fallback: the field marked when a refusal names none of them.
   */
  constructor(
    private readonly fields: readonly F[] = [],
    private readonly fallback: F | null = null,
  ) {}

  busy = $state(false);
  error = $state('');
  /** A polite success message, for forms that show one in a StatusBox. */
  status = $state('');
  /** The field an error is about, for aria-invalid; null when none is. */
  invalid = $state<F | null>(null);
  /** Bind the form's ErrorBox here: `<ErrorBox bind:this={form.errorBox} ... />`. */
  errorBox = $state<Focusable | undefined>();

  /** Shows message (replacing any status), marks field, and moves focus to the message. */
  async fail(message: string, field: F | null = null): Promise<void> {
    this.error = message;
    this.status = '';
    this.invalid = field;
    await tick();
    this.errorBox?.focus();
  }

  /**
   * Returns an onsubmit handler. check returns the first problem with the
   * input, or null; only then does action run, with busy set and the old error
   * cleared. Whatever action throws is shown as the error, marking the field
   * it names (see the constructor). Focus that the busy state dropped returns
   * where it was.
   */
  submit(check: () => Problem<F> | null, action: () => Promise<void>): (e: SubmitEvent) => Promise<void> {
    return async (e) => {
      e.preventDefault();
      if (this.busy) return;
      const problem = check();
      if (problem) return this.fail(problem[1], problem[0]);
      // The submit button is disabled while busy, which drops its focus to
      // the page; give it back afterwards if nothing else took it.
      const had = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      this.busy = true;
      this.error = '';
      this.invalid = null;
      try {
        await action();
      } catch (err) {
        await this.fail((err as Error).message, fieldOf(err, this.fields) ?? this.fallback);
      } finally {
        this.busy = false;
      }
      await tick();
      const now = document.activeElement;
      if (had?.isConnected && (now === null || now === document.body)) had.focus();
    };
  }
}
