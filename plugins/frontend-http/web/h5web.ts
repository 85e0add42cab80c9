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

function LiveView({ file, initialPath }: { file: string; initialPath: string }) {
  const [records, setRecords] = useState(-1);
  useEffect(() => {
    let latest = -1;
    let shown = -1;
    const events = new EventSource('/events');
    events.onmessage = (e) => {
      const s = (JSON.parse(e.data) as Array<{ name: string; records: number }>).find((x) => x.name === file);
      if (s) latest = s.records;
    };
    const timer = setInterval(() => {
      if (latest !== shown) {
        shown = latest;
        setRecords(latest);
      }
    }, REFRESH_MS);
    return () => {
      events.close();
      clearInterval(timer);
    };
  }, [file]);
  return h(H5GroveProvider, { url: window.location.origin, filepath: file, resetKeys: [records], children: h(App, { initialPath }) });
}

async function main() {
  const file = window.NXSW_FILE;
  const res = await fetch(`/api/plot?file=${encodeURIComponent(file)}`);
  const initialPath = res.ok ? ((await res.json()) as { path: string }).path : '/';
  createRoot(document.getElementById('root')!).render(h(LiveView, { file, initialPath }));
}

void main();
