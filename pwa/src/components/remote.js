// Loading data from the server on the online desk screens (HQ, managers).
import { useEffect, useState } from 'preact/hooks';

/** `{data, loading, error, reload}` of `load()`, re-run when `deps` change (`skip`: load nothing). */
export function useRemote(load, deps = [], { skip = false } = {}) {
  const [state, setState] = useState({ data: null, loading: !skip, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (skip) {
      setState({ data: null, loading: false, error: null });
      return undefined;
    }
    let alive = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    Promise.resolve()
      .then(load)
      .then(
        (data) => alive && setState({ data, loading: false, error: null }),
        (error) => {
          if (!alive) return;
          if (!error || error.status === undefined) console.error(error);
          setState((s) => ({ ...s, loading: false, error }));
        },
      );
    return () => {
      alive = false;
    };
  }, [...deps, skip, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}
