/**
 * The browser script of `ctp-router ui` (`GET /app.js`), kept as text: it
 * runs in the page, never in Node. It polls `/updates` (what changed since its last poll; a finite
 * answer each time, so a headless browser's virtual time settles), draws the view with cytoscape (served from node_modules) and
 * writes the same view as text: router and link lists, the node table, the
 * live feed.
 */

/** `GET /app.js`. */
export const CLIENT_JS = String.raw`'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var state = { view: null, cy: null, layoutKey: '', pos: {} };
  window.ctpUi = state;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) { e.append(c); });
    return e;
  }
  function span(cls, text) { return el('span', { class: cls }, [text]); }
  function replace(parent, children, emptyText) {
    parent.replaceChildren.apply(parent, children.length > 0 ? children : [el('li', { class: 'empty' }, [emptyText])]);
  }

  // ---- graph -------------------------------------------------------------------
  var STYLE = [
    { selector: 'node.router', style: { shape: 'round-rectangle', 'background-color': '#e8eefb', 'border-color': '#2f5fb3', 'border-width': 2,
      label: 'data(label)', 'text-valign': 'center', 'text-halign': 'center', 'font-weight': 'bold', color: '#2f5fb3', 'font-size': 14,
      width: 'data(w)', height: 30, 'min-zoomed-font-size': 7 } },
    { selector: 'node.router.bus', style: { shape: 'barrel', 'background-color': '#eef0f3', 'border-color': '#667085', color: '#475467', 'font-weight': 'normal' } },
    { selector: 'node.router.self', style: { 'border-color': '#0b7a53', color: '#0b7a53', 'border-width': 3, 'background-color': '#e6f4ee' } },
    { selector: 'node.device', style: { shape: 'ellipse', 'background-color': '#f0a020', width: 14, height: 14, label: 'data(label)',
      'text-valign': 'bottom', 'text-margin-y': 4, 'font-size': 12, color: '#1d2330', 'text-background-color': '#fff',
      'text-background-opacity': 0.85, 'text-background-padding': 2, 'text-max-width': 140, 'text-wrap': 'ellipsis', 'min-zoomed-font-size': 7 } },
    { selector: '.hidden', style: { display: 'none' } },
    { selector: '.dim', style: { opacity: 0.2 } },
    { selector: 'node.unreachable', style: { shape: 'round-rectangle', 'background-color': '#f2f4f7', 'border-color': '#98a2b3', 'border-width': 1,
      'border-style': 'dashed', label: 'data(label)', 'text-valign': 'center', 'text-halign': 'center', color: '#667085', 'font-size': 12,
      width: 'data(w)', height: 24 } },
    { selector: 'edge.hosts', style: { width: 2, 'line-color': '#f0c060' } },
    { selector: 'edge.link', style: { width: 3, 'line-color': '#98a2b3', 'curve-style': 'bezier' } },
    { selector: 'edge.link.oneway', style: { 'line-style': 'dashed', 'line-color': '#d0d5dd' } },
    { selector: 'edge.controller', style: { width: 2, 'line-color': '#c0392b', 'target-arrow-color': '#c0392b', 'target-arrow-shape': 'triangle',
      'curve-style': 'unbundled-bezier', 'control-point-distances': 30, label: 'controls', 'font-size': 9, color: '#c0392b',
      'text-background-color': '#fff', 'text-background-opacity': 0.8, 'text-rotation': 'autorotate', 'min-zoomed-font-size': 8 } },
    { selector: 'edge.monitor', style: { width: 1.5, 'line-style': 'dashed', 'line-color': '#7d3cb5', 'target-arrow-color': '#7d3cb5',
      'target-arrow-shape': 'vee', 'curve-style': 'unbundled-bezier', 'control-point-distances': -30, label: 'monitors', 'font-size': 9,
      color: '#7d3cb5', 'text-background-color': '#fff', 'text-background-opacity': 0.8, 'text-rotation': 'autorotate', 'min-zoomed-font-size': 8 } }
  ];

  // Beyond this many nodes the graph draws routers only (with counts); the table has every node.
  var MAX_DRAWN_NODES = 400;

  function elementsOf(view) {
    var els = [];
    var drawNodes = view.nodes.length <= MAX_DRAWN_NODES;
    var count = {};
    view.nodes.forEach(function (n) { count[n.host] = (count[n.host] || 0) + 1; });
    view.unreachable.forEach(function (r) {
      var label = r.id + ' (unreachable)';
      els.push({ group: 'nodes', data: { id: 'u:' + r.id, label: label, w: Math.min(300, 20 + 7 * label.length) }, classes: 'unreachable' });
    });
    view.routers.forEach(function (r) {
      var label = r.id + (!drawNodes && count[r.id] ? ' (' + count[r.id] + ' nodes)' : '');
      els.push({ group: 'nodes', data: { id: 'r:' + r.id, label: label, w: Math.min(320, 26 + 9 * label.length) }, classes: 'router' + (r.self ? ' self' : '') + (r.bus ? ' bus' : '') });
    });
    if (drawNodes) view.nodes.forEach(function (n) {
      els.push({ group: 'nodes', data: { id: 'n:' + n.node, label: n.node, host: n.host }, classes: 'device' });
      els.push({ group: 'edges', data: { id: 'h:' + n.node, source: 'r:' + n.host, target: 'n:' + n.node }, classes: 'hosts' });
    });
    view.links.forEach(function (l) {
      els.push({ group: 'edges', data: { id: 'l:' + l.a + '\u0000' + l.b, source: 'r:' + l.a, target: 'r:' + l.b }, classes: 'link' + (l.twoWay ? '' : ' oneway') });
    });
    var known = {};
    view.routers.forEach(function (r) { known[r.id] = true; });
    if (drawNodes) view.nodes.forEach(function (n) {
      if (n.controller !== null && known[n.controller])
        els.push({ group: 'edges', data: { id: 'c:' + n.node, source: 'n:' + n.node, target: 'r:' + n.controller }, classes: 'controller' });
      n.monitors.forEach(function (m) {
        if (known[m]) els.push({ group: 'edges', data: { id: 'm:' + n.node + '\u0000' + m, source: 'n:' + n.node, target: 'r:' + m }, classes: 'monitor' });
      });
    });
    return els;
  }

  // Positions are kept by element id across redraws: only new elements are laid out, around the
  // fixed ones (known nodes are locked while cose runs), so the picture does not jump on a change.
  function drawGraph(view) {
    if (typeof window.cytoscape !== 'function') return;
    var els = elementsOf(view);
    if (state.cy === null) {
      state.cy = window.cytoscape({ container: $('graph'), style: STYLE, elements: [], minZoom: 0.2, maxZoom: 2.5 });
      state.pos = {};
    }
    var cy = state.cy;
    var key = els.map(function (e) { return e.data.id + '>' + (e.data.host || '') + '>' + e.data.label; }).sort().join('|');
    if (key === state.layoutKey) { filterGraph(); return; }
    state.layoutKey = key;
    cy.nodes().forEach(function (n) { state.pos[n.id()] = { x: n.position('x'), y: n.position('y') }; });
    var fresh = 0;
    els.forEach(function (e) {
      if (e.group !== 'nodes') return;
      var p = state.pos[e.data.id];
      if (p) { e.position = { x: p.x, y: p.y }; e.locked = true; return; }
      fresh++;
      // A new node starts beside its host router (if placed), else near the middle.
      var h = e.data.host ? state.pos['r:' + e.data.host] : null;
      var a = Math.random() * 2 * Math.PI;
      e.position = h ? { x: h.x + 60 * Math.cos(a), y: h.y + 60 * Math.sin(a) } : { x: 200 * Math.cos(a), y: 200 * Math.sin(a) };
    });
    cy.batch(function () {
      cy.elements().remove();
      cy.add(els);
    });
    if (fresh > 0) {
      // Lay out the topology (routers, links, hosted nodes); registrations are drawn over it.
      cy.elements().not('.controller, .monitor').layout({ name: 'cose', animate: false, randomize: false, fit: false, padding: 40,
        nodeDimensionsIncludeLabels: true, idealEdgeLength: function (e) { return e.hasClass('hosts') ? 45 : 140; },
        edgeElasticity: function (e) { return e.hasClass('hosts') ? 200 : 100; },
        nodeRepulsion: function (n) { return n.hasClass('router') ? 60000 : 12000; }, componentSpacing: 120, numIter: 2000 }).run();
    }
    cy.nodes().unlock();
    if (fresh > 0) separate(cy, cy.nodes().filter(function (n) { return !state.pos[n.id()]; }));
    cy.nodes().forEach(function (n) { state.pos[n.id()] = { x: n.position('x'), y: n.position('y') }; });
    if (fresh > 0) {
      cy.fit(undefined, 40);
      if (cy.zoom() > 1.4) { cy.zoom(1.4); cy.center(); }
    }
    filterGraph();
  }

  // cose does not promise that labels stay apart: push each new node off any box (label included) it overlaps.
  function separate(cy, fresh) {
    var all = cy.nodes();
    var box = function (n) { return n.boundingBox({ includeLabels: true, includeOverlays: false }); };
    for (var round = 0; round < 20; round++) {
      var moved = false;
      fresh.forEach(function (n) {
        all.forEach(function (m) {
          if (m.same(n)) return;
          var b = box(n), c = box(m);
          if (!(b.x1 < c.x2 && c.x1 < b.x2 && b.y1 < c.y2 && c.y1 < b.y2)) return;
          var p = n.position(), q = m.position();
          var dx = Math.min(b.x2 - c.x1, c.x2 - b.x1), dy = Math.min(b.y2 - c.y1, c.y2 - b.y1);
          if (dx < dy) n.position('x', p.x + (p.x >= q.x ? 1 : -1) * (dx + 8));
          else n.position('y', p.y + (p.y >= q.y ? 1 : -1) * (dy + 8));
          moved = true;
        });
      });
      if (!moved) return;
    }
  }

  // Search: devices that do not match are hidden; routers that neither match nor host a match are dimmed.
  function filterGraph() {
    var cy = state.cy;
    if (cy === null) return;
    var q = $('search').value.trim().toLowerCase();
    cy.batch(function () {
      cy.elements().removeClass('hidden dim');
      if (q === '') return;
      var hosts = {};
      cy.nodes('.device').forEach(function (n) {
        if (n.data('label').toLowerCase().indexOf(q) >= 0 || n.data('host').toLowerCase().indexOf(q) >= 0) hosts[n.data('host')] = true;
        else n.addClass('hidden');
      });
      cy.nodes('.router, .unreachable').forEach(function (n) {
        var id = n.id().slice(2);
        if (!hosts[id] && n.data('label').toLowerCase().indexOf(q) < 0) n.addClass('dim');
      });
    });
  }

  // ---- text --------------------------------------------------------------------
  function drawText(view) {
    $('self').textContent = view.self;
    $('counts').textContent = view.routers.length + ' routers, ' + view.links.length + ' links, ' + view.nodes.length + ' nodes' +
      (view.unreachable.length > 0 ? ', ' + view.unreachable.length + ' unreachable' : '');
    replace($('routers'), view.routers.map(function (r) {
      return el('li', { 'data-router': r.id, class: r.self ? 'self' : '' }, [span('rid', r.id), r.self ? ' (observer)' : '',
        r.bus ? ' (a broadcast medium: its members link through it)' : span('hosted', r.nodes.length > 0 ? ' hosts ' + r.nodes.join(', ') : ' hosts no nodes')]);
    }), 'none');
    var health = view.health || null;
    var linkHealth = {};
    if (health) health.links.forEach(function (h) { linkHealth[h.a + ' ' + h.b] = h; });
    replace($('links'), view.links.map(function (l) {
      var h = linkHealth[l.a + ' ' + l.b];
      var attrs = { 'data-link': l.a + ' ' + l.b };
      var parts = [span('lname', l.a + ' — ' + l.b + (l.twoWay ? '' : ' (one-way)'))];
      if (h) {
        if (h.heartbeatAgeMs !== null) attrs['data-heard-ms'] = String(h.heartbeatAgeMs);
        parts.push(span('link-health', ' · up since ' + clock(h.since) + (h.heartbeatAgeMs === null ? '' : ' · heard ' + (h.heartbeatAgeMs / 1000) + ' s ago') +
          ' · ' + h.history.map(function (x) { return (x.up ? '▲' : '▼') + clock(x.at); }).join(' ')));
      }
      return el('li', attrs, parts);
    }).concat(health ? health.links.filter(function (h) { return !h.up; }).map(function (h) {
      return el('li', { 'data-link': h.a + ' ' + h.b, class: 'down' }, [span('lname', h.a + ' — ' + h.b + ' (down)'),
        span('link-health', ' · down since ' + clock(h.since) + ' · ' + h.history.map(function (x) { return (x.up ? '▲' : '▼') + clock(x.at); }).join(' '))]);
    }) : []), 'none');
    drawHealth(health);
    replace($('unreachable'), view.unreachable.map(function (r) {
      return el('li', { 'data-router': r.id }, [span('rid', r.id), span('hosted', r.nodes.length > 0 ? ' last advertised ' + r.nodes.join(', ') : '')]);
    }), 'none');
    var body = $('node-table').tBodies[0];
    var nh = health ? health.nodes : {};
    body.replaceChildren.apply(body, view.nodes.map(function (n) {
      var td = function (text, cls) { return el('td', cls ? { class: cls } : null, [text]); };
      var h = nh[n.node] || { controllerSince: null, lastRequest: null, lastEvent: null };
      var r = h.lastRequest;
      return el('tr', { 'data-node': n.node }, [td(n.node, 'node'), td(n.host, 'host'), td(n.via, 'via'),
        td(n.controller === null ? '—' : n.controller, 'controller'), td(h.controllerSince === null ? '—' : clock(h.controllerSince), 'since'),
        td(n.monitors.length > 0 ? n.monitors.join(', ') : '—', 'monitors'),
        td(r === null ? '—' : r.type + (r.by === null ? '' : ' by ' + r.by) + (r.code === null ? '' : ' → ' + r.code) + ' at ' + clock(r.at), 'last-request'),
        td(h.lastEvent === null ? '—' : clock(h.lastEvent), 'last-event')]);
    }));
    filter();
  }

  // Per router requests/s, errors/s and drops/s by reason, over the source's window.
  function drawHealth(health) {
    var body = $('health-table').tBodies[0];
    $('health-source').textContent = health ? 'as ' + health.source + ' sees it, over ' + (health.windowMs / 1000) + ' s' : 'not available';
    var fix = function (x) { return x === 0 ? '0' : x.toFixed(2); };
    body.replaceChildren.apply(body, (health ? health.routers : []).map(function (r) {
      var td = function (text, cls) { return el('td', { class: cls }, [text]); };
      var drops = Object.keys(r.dropsPerSec).map(function (k) { return k + ' ' + fix(r.dropsPerSec[k]); }).join(', ');
      return el('tr', { 'data-router': r.id }, [td(r.id, 'router'), td(fix(r.requestsPerSec), 'requests'), td(fix(r.errorsPerSec), 'errors'), td(drops === '' ? '0' : drops, 'drops')]);
    }));
  }

  // Search filters the node table, the graph and the feed.
  function filter() {
    var q = $('search').value.trim().toLowerCase();
    var hide = function (e) { e.hidden = q !== '' && e.textContent.toLowerCase().indexOf(q) < 0; };
    Array.prototype.forEach.call($('node-table').tBodies[0].rows, hide);
    Array.prototype.forEach.call($('feed').children, hide);
    filterGraph();
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function clock(at) { var d = new Date(at); return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function addFeed(entries) {
    var feed = $('feed');
    var atEnd = feed.scrollTop + feed.clientHeight >= feed.scrollHeight - 4;
    entries.forEach(function (e) {
      var d = new Date(e.at);
      var time = el('time', { datetime: d.toISOString() }, [pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds())]);
      var li = el('li', { class: 'k-' + e.kind, 'data-kind': e.kind }, [time, span('kind', e.kind), ' ' + e.text]);
      var q = $('search').value.trim().toLowerCase();
      li.hidden = q !== '' && li.textContent.toLowerCase().indexOf(q) < 0;
      feed.append(li);
    });
    while (feed.children.length > 500) feed.firstElementChild.remove();
    if (atEnd) feed.scrollTop = feed.scrollHeight;
  }

  // ---- stream ------------------------------------------------------------------
  $('search').addEventListener('input', filter);
  function show(view) {
    if (view === null) return;
    state.view = view;
    drawText(view);
    drawGraph(view);
  }
  // Polls of /updates, each a finite answer (not an endless stream, which a headless browser's
  // --virtual-time-budget never gets past): a finite first load, then polls the server holds until
  // something changes (live at once). Under virtual time the page's clock stands still while a poll
  // is held: then it polls without holding, 500 ms apart, and virtual time runs out.
  // With ?snapshot the page stops after the first load.
  var snapshot = /[?&]snapshot(=|&|$)/.test(location.search);
  var cursor = { view: -1, feed: -1 };
  var virtualTime = false;
  function poll() {
    var wait = cursor.feed < 0 || virtualTime ? 0 : 2000;
    var url = cursor.feed < 0 ? '/updates' : '/updates?view=' + cursor.view + '&feed=' + cursor.feed + '&wait=' + wait;
    var t0 = performance.now();
    fetch(url, { cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (u) {
        if (u.held >= 200 && performance.now() - t0 < u.held / 2) virtualTime = true;
        cursor = { view: u.view, feed: u.feed };
        if ('data' in u) show(u.data);
        if (u.entries.length > 0) addFeed(u.entries);
        if (snapshot) { $('status').textContent = 'snapshot'; return; }
        $('status').textContent = 'live';
        setTimeout(poll, virtualTime ? 500 : 0);
      }, function () {
        $('status').textContent = 'reconnecting…';
        setTimeout(poll, 1000);
      });
  }
  poll();
})();
`;
