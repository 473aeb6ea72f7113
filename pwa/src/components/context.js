// What every screen needs, provided once by app.js: the storage (db/), its actions and queries,
// the HTTP client, the sync engine and its status, the session and navigation.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export const AppContext = createContext(null);

export function useApp() {
  return useContext(AppContext);
}
