// What every Keysmith list does around its one backend call, beside
// FormState: a filter box that reloads after a pause in typing, Newer/Older
// paging, a load that a newer one supersedes, one error (in an ErrorBox
// that takes keyboard focus) or status line for the whole list, and a quiet
// refresh when the backend says its data changed (here or on another
// machine).
import { tick } from 'svelte';
import { codeOf, onDataChanged, type Topic } from './api';

/** One page as the backend returns it: its items and how many match in all. */
export interface Slice<T> {
  items: T[];
  total: number;
}

/** What a fetch asks for: the filter as typed, the page size and where the page starts. */
export interface SliceRequest {
  query: string;
  limit: number;
  offset: number;
}

export interface ListOptions<T> {
  /** Fetches one page. */
  fetch: (req: SliceRequest) => Promise<Slice<T>>;
  /** What identifies an item, for replace, append and remove. */
  key: (item: T) => number;
  /** Items per page (read at each use, so it may be a getter over a prop); unpaged lists leave it out. */
  pageSize?: number;
  /** Pause after the last keystroke in the filter before reloading, in ms. */
  debounceMs?: number;
  /** A later page that came back empty (its rows went away) loads the last page there is instead. */
  stepBack?: boolean;
}

/** What bind:this gives for an ErrorBox; only focus() is needed. */
interface Focusable {
  focus(): void;
}

export class ListState<T> {
  /** null until the first load succeeds. */
  items = $state<T[] | null>(null);
  total = $state(0);
  offset = $state(0);
  /** The filter box: `bind:value={list.query} oninput={() => list.filter()}`. */
  query = $state('');
  loading = $state(false);
  error = $state('');
  /** A polite success message, for lists that show one in a StatusBox. */
  status = $state('');
  /** Bind the list's ErrorBox here: `<ErrorBox bind:this={list.errorBox} ... />`. */
  errorBox = $state<Focusable | undefined>();
  /** The key of the item a row action is running on, to disable that row's controls; null when none is. */
  busyId = $state<number | null>(null);

  #options: ListOptions<T>;
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #refreshing: Promise<void> | null = null;
  #again = false;

  constructor(options: ListOptions<T>) {
    this.#options = options;
  }

  get pageSize(): number {
    return this.#options.pageSize ?? Infinity;
  }
  /** More items than one page holds: show the pager. */
  get paged(): boolean {
    return this.total > this.pageSize;
  }
  /** The 1-based position of the first and last item shown (0 and 0 when none). */
  get first(): number {
    return this.total === 0 ? 0 : this.offset + 1;
  }
  get last(): number {
    return Math.min(this.offset + (this.items?.length ?? 0), this.total);
  }
  get hasNewer(): boolean {
    return this.offset > 0;
  }
  get hasOlder(): boolean {
    return this.offset + this.pageSize < this.total;
  }

  /** Loads the current page; an answer that a newer load overtook is dropped. */
  load(): Promise<void> {
    return this.#fetch(false);
  }

  /**
   * Loads the current page again, quietly: the filter, the page (unless it
   * went away), the status line and any open dialog stay as they are; no
   * loading state, and a failure is not shown (an unreachable database has
   * its own banner). Calls while one runs make one more, after it.
   */
  async refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        await this.#fetch(true);
      } while (this.#again);
    })();
    try {
      await this.#refreshing;
    } finally {
      this.#refreshing = null;
    }
  }

  /** Refreshes whenever the backend says `topic` changed; returns the unsubscribe (return it from onMount). */
  follow(topic: Topic): () => void {
    return onDataChanged(topic, () => void this.refresh());
  }

  async #fetch(quiet: boolean): Promise<void> {
    const mine = ++this.#seq;
    if (!quiet) this.loading = true;
    try {
      const page = await this.#options.fetch({ query: this.query, limit: this.pageSize, offset: this.offset });
      if (mine !== this.#seq) return;
      if (this.#options.stepBack && page.items.length === 0 && this.offset > 0 && page.total > 0) {
        this.offset = Math.max(0, Math.floor((page.total - 1) / this.pageSize) * this.pageSize);
        return this.#fetch(quiet);
      }
      this.items = page.items;
      this.total = page.total;
      if (!quiet) this.error = '';
    } catch (err) {
      if (mine === this.#seq && !quiet) await this.fail(err);
    } finally {
      if (mine === this.#seq) this.loading = false;
    }
  }

  /** Loads the first page. */
  reload(): Promise<void> {
    this.offset = 0;
    return this.load();
  }

  /** The filter changed: reload from the first page once typing pauses. */
  filter(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.reload(), this.#options.debounceMs ?? 0);
  }

  newer(): Promise<void> {
    this.offset = Math.max(0, this.offset - this.pageSize);
    return this.load();
  }

  older(): Promise<void> {
    this.offset = this.offset + this.pageSize;
    return this.load();
  }

  /** Shows what err says (replacing any status) and moves focus to it; an unreachable database is left to its banner. */
  async fail(err: unknown): Promise<void> {
    if (codeOf(err) === 'unreachable') return;
    this.status = '';
    this.error = err instanceof Error ? err.message : String(err);
    await tick();
    this.errorBox?.focus();
  }

  /**
   * Runs a row action on the item with key id: busyId is id until it ends,
   * whatever it throws is shown (see fail), and the focus stays on the
   * control that started it.
   */
  async act(id: number, action: () => Promise<void>): Promise<void> {
    // The row's buttons are disabled while busy, which drops the pressed
    // button's focus to the page: give it back afterwards if nothing else
    // took it (the error box does, on a failure).
    const had = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.busyId = id;
    try {
      await action();
    } catch (err) {
      await this.fail(err);
    } finally {
      this.busyId = null;
    }
    await tick();
    const now = document.activeElement;
    if (had?.isConnected && (now === null || now === document.body)) had.focus();
  }

  /** Shows a status message, clearing any error. */
  say(message: string): void {
    this.error = '';
    this.status = message;
  }

  /** Puts item in place of the listed item with its key. */
  replace(item: T): void {
    const key = this.#options.key(item);
    if (this.items) this.items = this.items.map((x) => (this.#options.key(x) === key ? item : x));
  }

  append(item: T): void {
    this.items = [...(this.items ?? []), item];
    this.total += 1;
  }

  remove(item: T): void {
    const key = this.#options.key(item);
    const before = this.items?.length ?? 0;
    this.items = (this.items ?? []).filter((x) => this.#options.key(x) !== key);
    this.total -= before - this.items.length;
  }

  /** Cancels a pending filter reload (call from onDestroy). */
  dispose(): void {
    clearTimeout(this.#timer);
  }
}
