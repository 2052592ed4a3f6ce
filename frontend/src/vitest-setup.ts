import '@testing-library/jest-dom/vitest';
import { beforeEach, vi } from 'vitest';
import { configure } from '@testing-library/svelte';
import { resetBackend } from './test/backend';

// findBy*/waitFor wait up to 5 s: a busy CI machine can be slow to render.
configure({ asyncUtilTimeout: 5000 });

// Every test talks to a fake backend instead of the Wails bridge.
vi.mock('../wailsjs/go/desktop/App', async () => (await import('./test/backend')).backend);

// jsdom has no modal dialogs yet: a minimal showModal()/close() with the close event.
if (typeof HTMLDialogElement !== 'undefined' && !HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
    const first = this.querySelector<HTMLElement>('input, select, textarea, button');
    first?.focus();
  };
  HTMLDialogElement.prototype.show = function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
    if (!this.hasAttribute('open')) return;
    this.removeAttribute('open');
    this.dispatchEvent(new Event('close'));
  };
  // Escape cancels the topmost modal dialog, as browsers do.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    const open = [...document.querySelectorAll<HTMLDialogElement>('dialog[open]')];
    const top = open[open.length - 1];
    if (!top) return;
    const cancel = new Event('cancel', { cancelable: true });
    if (top.dispatchEvent(cancel)) top.close();
  });
}

beforeEach(() => {
  resetBackend();
});
