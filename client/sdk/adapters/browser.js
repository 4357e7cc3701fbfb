/**
 * The browser adapter of the Shigang SDK: fetch, sessionStorage (this tab only), window timers
 * and the page's visibility (document.visibilityState).
 *
 *   import { browserAdapter } from './adapters/browser.js';
 *   createClient({ baseUrl: '', adapter: browserAdapter() });
 *
 * Options (for other hosts and tests): fetch, storage (get/set/remove or a Web Storage object),
 * document (anything with visibilityState and add/removeEventListener).
 */

/**
 * @param {{fetch?: typeof fetch, storage?: any, document?: any}} [options]
 * @returns {import('../shigang.js').Adapter}
 */
export function browserAdapter(options = {}) {
  const doFetch = options.fetch || globalThis.fetch.bind(globalThis);
  const doc = options.document !== undefined ? options.document : globalThis.document;
  const store = options.storage || globalThis.sessionStorage;
  const storage = {
    get: (key) => { try { return store.getItem ? store.getItem(key) : store.get(key); } catch (e) { return null; } },
    set: (key, value) => { try { store.setItem ? store.setItem(key, value) : store.set(key, value); } catch (e) { /* full or disabled */ } },
    remove: (key) => { try { store.removeItem ? store.removeItem(key) : store.remove(key); } catch (e) { /* disabled */ } },
  };
  return {
    async request({ method, url, headers, body, timeoutMs }) {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      try {
        const res = await doFetch(url, { method, headers, body, signal: abort.signal, credentials: 'same-origin' });
        const text = await res.text();
        let data = null;
        if (text) { try { data = JSON.parse(text); } catch (e) { data = text; } }
        return { status: res.status, data, header: (name) => res.headers.get(name) ?? undefined };
      } finally {
        clearTimeout(timer);
      }
    },
    storage,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id),
    now: () => Date.now(),
    isVisible: () => !doc || doc.visibilityState !== 'hidden',
    onVisibilityChange(fn) {
      if (!doc) return () => {};
      const listener = () => fn(doc.visibilityState !== 'hidden');
      doc.addEventListener('visibilitychange', listener);
      return () => doc.removeEventListener('visibilitychange', listener);
    },
  };
}
