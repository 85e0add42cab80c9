// The browser side of /h5web/: H5Web's app on the h5grove API of this server, opened on the
// entry's plot and reloaded (provider reset) when the status stream reports new Records.
import { createElement as h, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App, H5GroveProvider } from '@h5web/app';
import '@h5web/app/styles.css';

declare global {
  interface Window { NXSW_FILE: string }
}

/** at most one refresh per this many ms, however fast Records arrive */
const REFRESH_MS = 1000;

/** what changes the file's content: Records, and CloseFile (FINAL data) or the next OpenFile */
type Status = { name: string; records: number; open: boolean; closed?: { at: string } };

function LiveView({ file, initialPath }: { file: string; initialPath: string }) {
  const [key, setKey] = useState('');
  useEffect(() => {
    // NAME@N is file N of the session NAME (a StepsPerFile scan)
    const name = file.replace(/@\d+$/, '');
    let latest = '';
    let shown = '';
    const events = new EventSource('/events');
    events.onmessage = (e) => {
      const s = (JSON.parse(e.data) as Status[]).find((x) => x.name === file || x.name === name);
      if (s) latest = `${s.records}:${s.open}:${s.closed?.at ?? ''}`;
    };
    const timer = setInterval(() => {
      if (latest !== shown) {
        shown = latest;
        setKey(latest);
      }
    }, REFRESH_MS);
    return () => {
      events.close();
      clearInterval(timer);
    };
  }, [file]);
  return h(H5GroveProvider, { url: window.location.origin, filepath: file, resetKeys: [key], children: h(App, { initialPath }) });
}

async function main() {
  const file = window.NXSW_FILE;
  const res = await fetch(`/api/plot?file=${encodeURIComponent(file)}`);
  const initialPath = res.ok ? ((await res.json()) as { path: string }).path : '/';
  createRoot(document.getElementById('root')!).render(h(LiveView, { file, initialPath }));
}

void main();
