// Pinned heads: the newest log head this browser has verified, per member and log, passed
// back to the next load so a server that rolls a log back or forks it is caught
// (FORMAT.md#trust-anchors). The workspace's log and each case's log have their own.

/**
 * A store of heads under localStorage keys made by `keyOf(...ids)`, with a copy in memory
 * for browsers that refuse storage (private mode).
 */
export function pinStore(keyOf) {
  const memory = new Map();
  return {
    get(...ids) {
      const key = keyOf(...ids);
      try {
        return localStorage.getItem(key) ?? memory.get(key);
      } catch {
        return memory.get(key);
      }
    },
    set(...args) {
      const head = args.pop();
      const key = keyOf(...args);
      memory.set(key, head);
      try {
        localStorage.setItem(key, head);
      } catch {
        // Private mode or storage disabled: memory only.
      }
    },
  };
}
