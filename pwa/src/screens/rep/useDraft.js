// One section of a visit's draft (db/drafts.js) as form state: restored once when the visit
// opens, saved to IndexedDB at every change, so the back gesture or a reload loses nothing.
import { useEffect, useRef, useState } from 'preact/hooks';
import { loadDraft, saveDraft } from '../../db/drafts.js';

/**
 * `[form, update, {restored, reset}]`: `form` is `empty` merged with the stored section;
 * `update(change)` merges and saves; `reset()` empties the form (after the section was recorded:
 * the action that records it drops the stored section, or call `reset({drop: true})`).
 */
export function useDraft(db, visitId, section, empty) {
  const [form, setForm] = useState(empty);
  const [restored, setRestored] = useState(false);
  const latest = useRef(empty);
  const touched = useRef(false);
  useEffect(() => {
    let live = true;
    loadDraft(db, visitId)
      .then((draft) => {
        if (!live || touched.current) return;
        const next = { ...empty, ...(draft[section] || {}) };
        latest.current = next;
        setForm(next);
      })
      .catch((err) => console.error(err))
      .finally(() => live && setRestored(true));
    return () => {
      live = false;
    };
  }, [visitId, section]);
  function update(change) {
    touched.current = true;
    const next = { ...latest.current, ...change };
    latest.current = next;
    setForm(next);
    saveDraft(db, visitId, { [section]: next }).catch((err) => console.error(err));
  }
  function reset({ drop = false } = {}) {
    latest.current = empty;
    setForm(empty);
    if (drop) saveDraft(db, visitId, { [section]: null }).catch((err) => console.error(err));
  }
  return [form, update, { restored, reset }];
}
