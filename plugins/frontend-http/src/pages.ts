/** The two pages: the status page (live through server-sent events) and the H5Web shell. */

export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nxsw live view</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
 h1 { font-size: 1.3em; margin: 0 0 .8em; }
 .session { border: 1px solid #ccc; border-radius: 6px; padding: .8em 1em; margin-bottom: 1em; max-width: 60em; }
 .state { display: inline-block; padding: 0 .5em; border-radius: 4px; color: #fff; font-weight: bold; }
 .ON { background: #2e7d32; } .OPEN { background: #f9a825; } .EXTRACT { background: #1565c0; }
 .RUNNING { background: #6a1b9a; } .FAULT { background: #c62828; }
 .errors { color: #c62828; white-space: pre-wrap; font-family: monospace; font-size: 12px; }
 dt { float: left; width: 9em; color: #666; } dd { margin-left: 9em; }
 #connection { color: #666; font-size: 12px; }
 .closed { color: #666; }
</style></head>
<body>
<h1>nxsw — writer sessions</h1>
<div id="sessions"><p>waiting for the first update…</p></div>
<p id="connection">connecting…</p>
<script>
const root = document.getElementById('sessions');
const conn = document.getElementById('connection');
const text = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const list = (r) => Object.entries(r || {}).map(([k, v]) => k + ' ' + v).join(', ') || 'none';
function render(sessions) {
  if (sessions.length === 0) { root.innerHTML = '<p>no writer session in this process</p>'; return; }
  root.innerHTML = sessions.map((s) => {
    const files = s.view.map((v) => text(v.path) + ' · <a class="h5web" href="/h5web/?file=' + encodeURIComponent(v.file) + '" target="_blank">open in H5Web</a>').join('<br>');
    const fileRow = s.open ? '<dt>file</dt><dd>' + (files || '—') + '</dd>'
      : s.closed ? '<dt>closed file</dt><dd><span class="closed">closed ' + new Date(s.closed.at).toLocaleString() + '</span><br>' + files + '</dd>'
      : '<dt>file</dt><dd>—</dd>';
    const summary = s.summary ? s.summary.groups + ' groups, ' + s.summary.fields + ' fields, ' + s.summary.attributes + ' attributes, ' + s.summary.links
      + ' links; values by mode: ' + list(s.summary.modes) + '; datasources: ' + list(s.summary.sources) : (s.summaryError ? 'invalid: ' + s.summaryError : '—');
    return '<div class="session" data-name="' + text(s.name) + '"><h2>' + text(s.name) + ' <span class="state ' + s.state + '">' + s.state + '</span></h2><dl>'
      + '<dt>status</dt><dd>' + text(s.status) + '</dd>'
      + fileRow
      + '<dt>records</dt><dd><span class="records">' + s.records + '</span> (<span class="rate">' + s.rate + '</span>/s)</dd>'
      + '<dt>configuration</dt><dd>' + text(summary) + '</dd>'
      + '<dt>last errors</dt><dd>' + (s.errors.length ? '<div class="errors">' + s.errors.map(text).join('\\n') + '</div>' : 'none') + '</dd>'
      + '</dl></div>';
  }).join('');
}
const events = new EventSource('/events');
events.onmessage = (e) => { conn.textContent = 'live (updated ' + new Date().toLocaleTimeString() + ')'; render(JSON.parse(e.data)); };
events.onerror = () => { conn.textContent = 'disconnected; the browser reconnects by itself'; };
</script>
</body></html>
`;

export function h5webPage(file: string): string {
  const name = JSON.stringify(file).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nxsw — H5Web</title>
<link rel="stylesheet" href="/assets/h5web.css">
<style>html, body, #root { height: 100%; margin: 0; }</style></head>
<body><div id="root"></div>
<script>window.NXSW_FILE = ${name};</script>
<script type="module" src="/assets/h5web.js"></script>
</body></html>
`;
}
