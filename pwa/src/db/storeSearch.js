// Store search on the phone's replica (offline): a store matches when its name, code or address
// contains the text, or when the text is pinyin of its name — whole syllables ("tiyuxi"),
// initials ("tyx") or a mix of syllables and their beginnings ("tiyx", "tyxi") for 体育西…
// The server sends each store's `name_pinyin` ({full: "ti yu xi dian", initials: "tyxd"},
// backend/stores/pinyin.py), so the phone needs no dictionary. A store pulled before the server
// sent it is found by name, code and address only until its next change.

const LATIN = /^[a-z0-9]+$/;

/** Whether `query` (lower case, no spaces) runs through consecutive `syllables`, taking from each
 * a non-empty beginning (the whole syllable or its first letters), starting at any syllable. */
export function pinyinMatches(syllables, query) {
  if (!query) return true;
  const from = (si, qi) => {
    if (qi === query.length) return true;
    if (si === syllables.length) return false;
    const syl = syllables[si];
    for (let k = Math.min(syl.length, query.length - qi); k >= 1; k -= 1) {
      if (query.startsWith(syl.slice(0, k), qi) && from(si + 1, qi + k)) return true;
    }
    return false;
  };
  for (let si = 0; si < syllables.length; si += 1) if (from(si, 0)) return true;
  return false;
}

/** Whether `store` matches the search `text` (see the header). */
export function storeMatches(store, text) {
  const q = String(text ?? '')
    .trim()
    .toLowerCase();
  if (!q) return true;
  if ([store.name, store.code, store.address].some((v) => v && String(v).toLowerCase().includes(q))) return true;
  const py = store.name_pinyin;
  const compact = q.replace(/[\s']+/g, '');
  if (!py || !LATIN.test(compact)) return false;
  if (py.initials?.includes(compact)) return true;
  return pinyinMatches(
    String(py.full || '')
      .split(' ')
      .filter(Boolean),
    compact,
  );
}
