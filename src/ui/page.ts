/**
 * The page of `ctp-router ui`: markup and style. Everything the graph shows
 * is also text: router and link lists, a node `<table>`, a `role="log"` feed.
 */

/** `GET /`. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ctp-router network</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>ctp-router network</h1>
  <p>seen from <strong id="self">…</strong> · <span id="status" role="status">connecting…</span> · <span id="counts"></span></p>
</header>
<main>
  <section id="graph-panel" aria-label="Graph of routers, links and nodes">
    <div id="graph" aria-hidden="true"></div>
    <p class="legend"><span class="key self"></span> observer (this page's router) <span class="key router"></span> router <span class="key node"></span> node
      <span class="key controls"></span> controller <span class="key monitors"></span> monitor <span class="key gone"></span> unreachable</p>
  </section>
  <aside>
    <section aria-labelledby="routers-h">
      <h2 id="routers-h">Routers</h2>
      <ul id="routers"></ul>
    </section>
    <section aria-labelledby="links-h">
      <h2 id="links-h">Links</h2>
      <ul id="links"></ul>
    </section>
    <section aria-labelledby="unreachable-h">
      <h2 id="unreachable-h">Unreachable adverts</h2>
      <ul id="unreachable"></ul>
    </section>
  </aside>
  <section id="health-panel" aria-labelledby="health-h">
    <h2 id="health-h">Health <small id="health-source"></small></h2>
    <table id="health-table">
      <thead><tr><th scope="col">Router</th><th scope="col">Requests/s</th><th scope="col">Errors/s</th><th scope="col">Drops/s</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section id="nodes-panel" aria-labelledby="nodes-h">
    <h2 id="nodes-h">Nodes</h2>
    <label>Search <input id="search" type="search" placeholder="node, router…" autocomplete="off"></label> <small>(filters the table, the graph and the feed)</small>
    <table id="node-table">
      <thead><tr><th scope="col">Node</th><th scope="col">Host</th><th scope="col">Via</th><th scope="col">Controller</th><th scope="col">Since</th><th scope="col">Monitors</th><th scope="col">Last request</th><th scope="col">Last event</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section id="feed-panel" aria-labelledby="feed-h">
    <h2 id="feed-h">Live feed</h2>
    <ol id="feed" role="log" aria-live="polite" aria-labelledby="feed-h"></ol>
  </section>
</main>
<script src="/vendor/cytoscape.min.js"></script>
<script src="/app.js"></script>
</body>
</html>
`;

/** `GET /app.css`. */
export const PAGE_CSS = `
:root { --bg: #f7f8fa; --fg: #1d2330; --muted: #667085; --router: #2f5fb3; --self: #0b7a53; --node: #f0a020; --ctl: #c0392b; --mon: #7d3cb5; --line: #d0d5dd; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { padding: 8px 16px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; }
header p { margin: 2px 0 0; color: var(--muted); }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(300px, 1fr); grid-template-areas: "graph side" "graph health" "nodes feed"; gap: 12px; padding: 12px 16px; }
#graph-panel { grid-area: graph; background: #fff; border: 1px solid var(--line); border-radius: 6px; display: flex; flex-direction: column; }
#graph { flex: 1; min-height: 560px; height: 68vh; }
aside { grid-area: side; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0 12px; overflow: auto; max-height: 44vh; }
#health-panel { grid-area: health; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0 12px 12px; overflow: auto; max-height: 30vh; }
#health-panel small, #nodes-panel small { color: var(--muted); font-weight: normal; }
#health-table th, #health-table td { padding: 3px 5px; font-size: 12px; }
.link-health { color: var(--muted); font-size: 12px; }
#links li.down { color: var(--muted); }
#nodes-panel { grid-area: nodes; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0 12px 12px; }
#feed-panel { grid-area: feed; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0 12px; }
h2 { font-size: 15px; margin: 10px 0 6px; }
ul { margin: 0; padding-left: 18px; }
li.self > .rid { color: var(--self); font-weight: 600; }
.rid { font-weight: 600; color: var(--router); }
.hosted { color: var(--muted); }
#unreachable li { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin-top: 6px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); }
th { background: #f2f4f7; }
input[type=search] { margin-left: 4px; padding: 3px 6px; width: 220px; }
#feed { list-style: none; padding: 0; margin: 0 0 12px; max-height: 300px; overflow: auto; font: 12px/1.5 ui-monospace, monospace; }
#feed time { color: var(--muted); margin-right: 6px; }
#feed .kind { display: inline-block; min-width: 64px; font-weight: 600; }
#feed .k-drop .kind, #feed .k-conflict .kind { color: var(--ctl); }
#feed .k-register .kind { color: var(--self); }
#feed .k-release .kind { color: var(--mon); }
.legend { margin: 0; padding: 4px 10px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); }
.key { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin-left: 8px; border-radius: 2px; }
.key.router { background: var(--router); } .key.self { background: var(--self); } .key.node { background: var(--node); border-radius: 6px; }
.key.gone { border: 1px dashed #98a2b3; background: #f2f4f7; }
.key.controls { height: 3px; background: var(--ctl); } .key.monitors { height: 0; border-top: 2px dashed var(--mon); }
.empty { color: var(--muted); font-style: italic; }
`;
