import { afterEach, describe, expect, it, vi } from 'vitest';
import { ListState, type Slice, type SliceRequest } from './list.svelte';
import { emit } from '../test/backend';

interface Row {
  id: number;
  name: string;
}

const rows = (from: number, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: from + i, name: `Row ${from + i}` }));

/** A backend of `count` rows whose names contain the query. */
function backend(count: number) {
  let all = rows(1, count);
  const fetch = vi.fn(async ({ query, limit, offset }: SliceRequest): Promise<Slice<Row>> => {
    const hits = all.filter((r) => r.name.includes(query));
    return { items: hits.slice(offset, offset + limit), total: hits.length };
  });
  return { fetch, drop: (n: number) => (all = all.slice(0, all.length - n)) };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ListState', () => {
  it('pages Newer and Older by the page size and says where it is', async () => {
    const b = backend(25);
    const list = new ListState<Row>({ fetch: b.fetch, key: (r) => r.id, pageSize: 10 });
    expect(list.items).toBeNull();
    await list.load();
    expect([list.items?.length, list.total, list.first, list.last]).toEqual([10, 25, 1, 10]);
    expect([list.paged, list.hasNewer, list.hasOlder]).toEqual([true, false, true]);
    await list.older();
    await list.older();
    expect(b.fetch).toHaveBeenLastCalledWith({ query: '', limit: 10, offset: 20 });
    expect([list.first, list.last, list.hasNewer, list.hasOlder]).toEqual([21, 25, true, false]);
    await list.newer();
    expect([list.first, list.last]).toEqual([11, 20]);
    expect(list.loading).toBe(false);
  });

  it('reloads from the first page once typing in the filter pauses', async () => {
    vi.useFakeTimers();
    const b = backend(25);
    const list = new ListState<Row>({ fetch: b.fetch, key: (r) => r.id, pageSize: 10, debounceMs: 250 });
    await list.load();
    await list.older();
    b.fetch.mockClear();
    for (const q of ['R', 'Ro', 'Row 2']) {
      list.query = q;
      list.filter();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(b.fetch).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(150);
    expect(b.fetch).toHaveBeenCalledTimes(1);
    expect(b.fetch).toHaveBeenCalledWith({ query: 'Row 2', limit: 10, offset: 0 });
    expect(list.total).toBe(7); // Row 2, Row 20..25
  });

  it('forgets a pending filter reload when disposed', async () => {
    vi.useFakeTimers();
    const b = backend(3);
    const list = new ListState<Row>({ fetch: b.fetch, key: (r) => r.id, debounceMs: 250 });
    list.filter();
    list.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.fetch).not.toHaveBeenCalled();
  });

  it('drops an answer that a newer load overtook', async () => {
    const first = deferred<Slice<Row>>();
    const second = deferred<Slice<Row>>();
    const fetch = vi.fn().mockReturnValueOnce(first.promise).mockReturnValueOnce(second.promise);
    const list = new ListState<Row>({ fetch, key: (r) => r.id });
    const a = list.load();
    const b = list.load();
    second.resolve({ items: rows(1, 1), total: 1 });
    await b;
    first.resolve({ items: rows(1, 5), total: 5 });
    await a;
    expect(list.items).toEqual(rows(1, 1));
    expect(list.loading).toBe(false);
  });

  it('shows a failure in the error box, focused, until a load or a status replaces it', async () => {
    const fetch = vi.fn().mockRejectedValueOnce(new Error('Only account Administrators can do that.'));
    fetch.mockResolvedValue({ items: [], total: 0 });
    const list = new ListState<Row>({ fetch, key: (r) => r.id });
    const focus = vi.fn();
    list.errorBox = { focus };
    list.status = 'Saved.';
    await list.load();
    expect([list.error, list.status, list.items]).toEqual(['Only account Administrators can do that.', '', null]);
    expect(focus).toHaveBeenCalled();
    await list.load();
    expect([list.error, list.items]).toEqual(['', []]);
    await list.fail(new Error('Boom.'));
    list.say('Done.');
    expect([list.error, list.status]).toEqual(['', 'Done.']);
  });

  it('steps back to the last page when its rows went away, if asked to', async () => {
    for (const stepBack of [true, false]) {
      const b = backend(25);
      const list = new ListState<Row>({ fetch: b.fetch, key: (r) => r.id, pageSize: 10, stepBack });
      await list.load();
      await list.older();
      await list.older();
      b.drop(10);
      await list.load();
      expect([list.offset, list.items?.length, list.total], `stepBack ${stepBack}`).toEqual(stepBack ? [10, 5, 15] : [20, 0, 15]);
    }
  });

  it('replaces, appends and removes items by key', async () => {
    const b = backend(3);
    const list = new ListState<Row>({ fetch: b.fetch, key: (r) => r.id });
    await list.load();
    list.replace({ id: 2, name: 'Renamed' });
    list.append({ id: 9, name: 'New' });
    list.remove({ id: 1, name: '' });
    expect(list.items?.map((r) => r.name)).toEqual(['Renamed', 'Row 3', 'New']);
    expect(list.total).toBe(3);
  });

  it('marks the row an action runs on busy until it ends, and shows what it throws', async () => {
    const list = new ListState<Row>({ fetch: backend(3).fetch, key: (r) => r.id });
    const step = deferred<void>();
    const running = list.act(2, () => step.promise);
    expect(list.busyId).toBe(2);
    step.resolve();
    await running;
    expect([list.busyId, list.error]).toEqual([null, '']);
    await list.act(3, () => Promise.reject(new Error('That user no longer exists.')));
    expect([list.busyId, list.error]).toEqual([null, 'That user no longer exists.']);
  });

  it('refreshes quietly when its topic changes: same filter and page, no loading state, status kept', async () => {
    const b = backend(25);
    const list = new ListState<Row>({ fetch: b.fetch, key: (r) => r.id, pageSize: 5 });
    const off = list.follow('credentials');
    list.query = 'Row 1';
    await list.load();
    await list.older();
    list.say('Row 12 was renamed.');
    b.fetch.mockClear();
    let sawLoading = false;
    b.fetch.mockImplementationOnce(async () => {
      sawLoading = list.loading;
      return { items: rows(100, 5), total: 11 };
    });

    emit('changed', 'users'); // another topic: nothing
    emit('changed', 'credentials');
    await vi.waitFor(() => expect(list.items?.[0].id).toBe(100));
    expect(b.fetch).toHaveBeenCalledTimes(1);
    expect(b.fetch).toHaveBeenCalledWith({ query: 'Row 1', limit: 5, offset: 5 });
    expect([sawLoading, list.loading, list.status, list.total]).toEqual([false, false, 'Row 12 was renamed.', 11]);

    off();
    emit('changed', 'credentials');
    await Promise.resolve();
    expect(b.fetch).toHaveBeenCalledTimes(1);
  });

  it('runs one more refresh after the one in flight, however many changes arrive meanwhile', async () => {
    const b = backend(3);
    const list = new ListState<Row>({ fetch: b.fetch, key: (r) => r.id });
    await list.load();
    b.fetch.mockClear();
    const first = deferred<Slice<Row>>();
    b.fetch.mockImplementationOnce(() => first.promise);
    const done = list.refresh();
    list.refresh();
    list.refresh();
    list.refresh();
    first.resolve({ items: rows(1, 3), total: 3 });
    await done;
    expect(b.fetch).toHaveBeenCalledTimes(2);
  });

  it('keeps a failed refresh to itself, and leaves an unreachable database to its banner', async () => {
    const b = backend(3);
    const list = new ListState<Row>({ fetch: b.fetch, key: (r) => r.id });
    await list.load();
    const focus = vi.fn();
    list.errorBox = { focus };
    b.fetch.mockRejectedValueOnce(new Error('Boom.'));
    await list.refresh();
    expect([list.error, list.items?.length, focus.mock.calls.length]).toEqual(['', 3, 0]);

    const unreachable = { code: 'unreachable', message: 'Cannot reach the team database.' };
    b.fetch.mockRejectedValueOnce(unreachable);
    await list.load();
    expect([list.error, list.loading, focus.mock.calls.length]).toEqual(['', false, 0]);
    await list.fail(unreachable);
    expect(list.error).toBe('');
  });

  it('a refresh that overtakes a load still ends the loading state', async () => {
    const b = backend(3);
    const list = new ListState<Row>({ fetch: b.fetch, key: (r) => r.id });
    const slow = deferred<Slice<Row>>();
    b.fetch.mockImplementationOnce(() => slow.promise);
    const loading = list.load();
    expect(list.loading).toBe(true);
    await list.refresh();
    expect([list.loading, list.items?.length]).toEqual([false, 3]);
    slow.resolve({ items: [], total: 0 });
    await loading;
    expect([list.loading, list.items?.length]).toEqual([false, 3]);
  });
});
