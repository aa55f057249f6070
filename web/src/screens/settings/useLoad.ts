// Loading what a section shows: the answer, the error in plain words, and a
// way to load it again after a change.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describe } from '../../api/errors';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => Promise<void>;
}

export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const loader = useRef(load);
  loader.current = load;
  const live = useRef(true);
  const reload = useCallback(async () => {
    try {
      const got = await loader.current();
      if (!live.current) return;
      setData(got);
      setError(undefined);
    } catch (e) {
      if (live.current) setError(describe(e));
    }
  }, []);
  useEffect(() => {
    live.current = true;
    void reload();
    return () => {
      live.current = false;
    };
  }, [reload]);
  return { data, error, reload };
}
