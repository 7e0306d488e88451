// What lets a player back into a battle after a reload, a closed tab or a
// server restart: the token the join returned, kept in localStorage per
// battle.  Storage may be missing or refused (private mode, a full quota):
// then nothing is kept and nothing fails.

const PREFIX = 'broadside:session:';

// localStorage, or null where it cannot be used (even reading it may throw).
function storage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

let lastStamp = 0;

// Keeps {token, role, name, player} for battleId; returns whether it was stored.
export function saveSession(battleId, { token, role, name, player } = {}) {
  const store = storage();
  // Strictly increasing, so that the latest of two saves in one ms wins.
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  try {
    store?.setItem(PREFIX + battleId, JSON.stringify({ token, role, name, player, savedAt: lastStamp }));
    return store !== null;
  } catch {
    return false;
  }
}

// The session kept for battleId ({token, role, name, player, savedAt}), or null.
export function loadSession(battleId) {
  try {
    const s = JSON.parse(storage()?.getItem(PREFIX + battleId) ?? 'null');
    return s !== null && typeof s === 'object' && typeof s.token === 'string' ? s : null;
  } catch {
    return null;
  }
}

// Forgets the session of battleId (a battle deleted, a token refused).
export function forgetSession(battleId) {
  try {
    storage()?.removeItem(PREFIX + battleId);
  } catch { /* nothing kept, nothing to forget */ }
}

// The id of the battle whose session was saved last, or null.
export function lastBattle() {
  const store = storage();
  let best = null, bestAt = -Infinity;
  try {
    for (let i = 0; i < store?.length; i++) {
      const key = store.key(i);
      if (!key?.startsWith(PREFIX))
        continue;
      const id = key.slice(PREFIX.length);
      const at = loadSession(id)?.savedAt;
      if (typeof at === 'number' && at > bestAt) {
        best = id;
        bestAt = at;
      }
    }
  } catch { /* storage refused: no battle */ }
  return best;
}
