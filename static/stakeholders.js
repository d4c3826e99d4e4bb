// Stakeholder map: drag actors (pointer events, touch and mouse), tap one actor then another
// to link them, the selected actor's panel, and the actor lists of the accessible forms.
// Everything sent goes through hidden ws-send forms, so board.js numbers, shows and retries it.
(function () {
  "use strict";
  var DRAG_START = 6;           // pixels a press must travel to become a drag rather than a tap
  var body = document.body;
  var me = body.getAttribute("data-me") || "";
  var selected = null, target = null, drag = null, swallowUntil = 0, signature = "", pendingMove = null;
  var moves = {};               // op -> how to undo an optimistic move if the server refuses it
  // One collator for every sort: localeCompare with a locale builds a new one per call (slow on phones).
  var byName = new Intl.Collator(document.documentElement.lang || "fr", { sensitivity: "base", numeric: true }).compare;

  // Means as the reader writes numbers: "2,5" in French, "2.5" in English.
  function decimal(text) { return document.documentElement.lang === "fr" ? text.replace(".", ",") : text; }
  function root() { return document.querySelector(".sh[data-board]"); }
  function flag(name) { var r = root(); return !!r && r.getAttribute("data-" + name) === "1"; }
  function chipOf(id) { return id ? document.getElementById("actor-" + id) : null; }
  function idOf(chip) { return chip.id.slice(6); }
  function name(id) { var chip = chipOf(id); return chip ? chip.textContent : ""; }
  function owners(chip) { return (chip.getAttribute("data-own") || "").split(" "); }
  function find(sel) { var r = root(); return r ? r.querySelector(sel) : null; }
  function findAll(sel) { var r = root(); return r ? Array.prototype.slice.call(r.querySelectorAll(sel)) : []; }
  // Types are stored as written; the page lists how ours read in the reader's language.
  function typeName(attr, value) {
    var names = find(".sh-type-names"), shown = null;
    if (names && value) {
      Array.prototype.some.call(names.content.children, function (el) {
        if (el.getAttribute(attr) === value) { shown = el.textContent; }
        return shown !== null;
      });
    }
    return shown !== null ? shown : (value || "");
  }
  function setField(form, field, value) { var input = form && form.querySelector('[name="' + field + '"]'); if (input) { input.value = value; } }

  // Lines -------------------------------------------------------------------------------------
  // Ties of several types between the same two actors are drawn side by side, bent apart at their
  // middle, in the order of their type names: the same rule as MapData.points on the server.
  var BEND = 3.5;
  // Where a chip is drawn: its point on the map, plus how far it was moved aside (see declutter).
  function centre(id) {
    var chip = chipOf(id);
    if (!chip || !chip.style.left) { return null; }
    return [parseFloat(chip.style.left) + (parseFloat(chip.getAttribute("data-dx")) || 0),
            parseFloat(chip.style.top) + (parseFloat(chip.getAttribute("data-dy")) || 0)];
  }
  function pairLines(a, b) {
    return findAll('.sh-ties polyline[data-a="' + a + '"][data-b="' + b + '"], ' +
                   '.sh-ties polyline[data-a="' + b + '"][data-b="' + a + '"]');
  }
  function slotOf(line, group) {
    if (group.length < 2) { return 0; }
    var k = line.getAttribute("data-k") || "";
    var before = group.filter(function (other) { return (other.getAttribute("data-k") || "") < k; }).length;
    return before - (group.length - 1) / 2;
  }
  function draw(line, override, group) {
    var a = line.getAttribute("data-a"), b = line.getAttribute("data-b");
    var p = (override && override.id === a) ? override.at : centre(a);
    var q = (override && override.id === b) ? override.at : centre(b);
    if (!p || !q) { line.classList.add("off"); line.removeAttribute("points"); return; }
    line.classList.remove("off");
    var mx = (p[0] + q[0]) / 2, my = (p[1] + q[1]) / 2, slot = slotOf(line, group || pairLines(a, b));
    if (slot) {
      // Sideways from the pair's own direction (lower id first), so siblings drawn either way part.
      var dx = a < b ? q[0] - p[0] : p[0] - q[0], dy = a < b ? q[1] - p[1] : p[1] - q[1];
      var length = Math.sqrt(dx * dx + dy * dy);
      if (length) { mx -= dy / length * slot * BEND; my += dx / length * slot * BEND; }
    }
    line.setAttribute("points", p[0].toFixed(2) + "," + p[1].toFixed(2) + " " + mx.toFixed(2) + "," + my.toFixed(2) +
                      " " + q[0].toFixed(2) + "," + q[1].toFixed(2));
  }
  function linesOf(id) { return findAll('.sh-ties polyline[data-a="' + id + '"], .sh-ties polyline[data-b="' + id + '"]'); }
  function otherEnd(line, id) { var a = line.getAttribute("data-a"); return a === id ? line.getAttribute("data-b") : a; }
  function redraw(id, at) {
    // The lines of one actor hold every sibling of each of its pairs: no further lookup per line.
    var lines = linesOf(id), groups = {};
    lines.forEach(function (line) { var o = otherEnd(line, id); (groups[o] = groups[o] || []).push(line); });
    lines.forEach(function (line) { draw(line, at ? { id: id, at: at } : null, groups[otherEnd(line, id)]); });
  }

  // A move made elsewhere arrives as a new actor element: its lines follow it here. A tie that
  // comes or goes moves its siblings between the same two actors aside or back.
  new MutationObserver(function (records) {
    var pairs = {};
    function touched(node) {
      if (node.nodeType === 1 && node.tagName.toLowerCase() === "polyline" && node.hasAttribute("data-a")) {
        var a = node.getAttribute("data-a"), b = node.getAttribute("data-b");
        pairs[a < b ? a + " " + b : b + " " + a] = true;
      }
    }
    records.forEach(function (record) {
      Array.prototype.forEach.call(record.addedNodes, function (node) {
        if (node.nodeType === 1 && node.classList.contains("sh-a")) { redraw(idOf(node)); }
        touched(node);
      });
      Array.prototype.forEach.call(record.removedNodes, touched);
    });
    Object.keys(pairs).forEach(function (key) {
      var ends = key.split(" "), group = pairLines(ends[0], ends[1]);
      group.forEach(function (line) { draw(line, null, group); });
    });
  }).observe(body, { childList: true, subtree: true });

  // Dragging ----------------------------------------------------------------------------------
  function fraction(d, clientX, clientY) {
    var box = d.map.getBoundingClientRect();
    return { x: (d.cx + clientX - d.x0 - box.left) / box.width, y: (d.cy + clientY - d.y0 - box.top) / box.height };
  }
  function inside(f) { return f.x > -0.03 && f.x < 1.03 && f.y > -0.03 && f.y < 1.03; }
  function clamp(v) { return Math.min(1, Math.max(0, v)); }

  // A press on an actor is a tap (select, link) unless it travels: then it is a drag, when the
  // phase allows moving. Taps are read here rather than from "click", which a touch screen does
  // not always fire right after a drag; the click that may still follow is then ignored.
  document.addEventListener("pointerdown", function (e) {
    swallowUntil = 0;
    var chip = e.target.closest ? e.target.closest("button.sh-a") : null;
    if (!chip || e.button !== 0 || !root().contains(chip)) { return; }
    var box = chip.getBoundingClientRect();
    drag = { chip: chip, id: idOf(chip), pointer: e.pointerId, x0: e.clientX, y0: e.clientY, movable: flag("draw"),
             cx: box.left + box.width / 2, cy: box.top + box.height / 2, map: find(".sh-map"), moving: false };
    if (drag.movable) { chip.setPointerCapture(e.pointerId); }
  });
  document.addEventListener("pointermove", function (e) {
    if (!drag || e.pointerId !== drag.pointer || !drag.movable) { return; }
    var dx = e.clientX - drag.x0, dy = e.clientY - drag.y0;
    if (!drag.moving && Math.sqrt(dx * dx + dy * dy) < DRAG_START) { return; }
    drag.moving = true;
    drag.chip.classList.add("dragging");
    drag.chip.style.translate = dx + "px " + dy + "px";
    var f = fraction(drag, e.clientX, e.clientY);
    redraw(drag.id, inside(f) ? [clamp(f.x) * 100, clamp(f.y) * 100] : null);
    e.preventDefault();
  });
  function finish(e, drop) {
    var d = drag;
    if (!d || e.pointerId !== d.pointer) { return; }
    drag = null;
    d.chip.classList.remove("dragging");
    d.chip.style.translate = "";
    swallowUntil = Date.now() + 700;
    if (!d.moving) {
      if (drop) { tap(d.id); }
      return;
    }
    var f = fraction(d, e.clientX, e.clientY);
    if (!drop || !inside(f)) { redraw(d.id); return; }
    var x = clamp(f.x), y = clamp(f.y), chip = d.chip, layer = find(".sh-actors");
    var before = { chip: chip, parent: chip.parentNode, next: chip.nextSibling, left: chip.style.left, top: chip.style.top };
    chip.style.left = (x * 100).toFixed(2) + "%";
    chip.style.top = (y * 100).toFixed(2) + "%";
    // Dropped where it was seen: no more moved aside, until the next pass parts it again.
    ["data-dx", "data-dy"].forEach(function (name) { chip.removeAttribute(name); });
    chip.style.removeProperty("--dx"); chip.style.removeProperty("--dy");
    if (chip.parentNode !== layer) { layer.appendChild(chip); }
    redraw(d.id);
    soon();
    var form = find("form.sh-move");
    setField(form, "actor", d.id); setField(form, "x", x.toFixed(4)); setField(form, "y", y.toFixed(4));
    pendingMove = before;
    htmx.trigger(form, "submit");
  }
  document.addEventListener("pointerup", function (e) { finish(e, true); });
  document.addEventListener("pointercancel", function (e) { finish(e, false); });

  document.addEventListener("htmx:wsConfigSend", function (e) {
    var sent = e.target.classList ? e.target.classList : { contains: function () { return false; } };
    if (sent.contains("sh-link-form")) { target = null; setTimeout(refresh, 0); }
    // A rating or a tie change is one-off: the form closes once sent (the outbox shows its fate).
    if (sent.contains("sh-rate-form") || sent.contains("sh-tie-edit")) {
      var form = e.target;
      setTimeout(function () { form.hidden = true; if (sent.contains("sh-rate-form")) { form.reset(); } current(); }, 0);
    }
    if (!pendingMove || !sent.contains("sh-move")) { return; }
    try { moves[JSON.parse(e.detail.messageBody).op] = pendingMove; } catch (err) { /* no op id: nothing to undo */ }
    pendingMove = null;
  });
  function undoRefusedMoves() {
    var pending = (window.maillage && window.maillage.pending) || {};
    Object.keys(moves).forEach(function (op) {
      var item = pending[op], undo = moves[op];
      if (item && item.state === "pending") { return; }
      delete moves[op];
      if (item && item.state === "refused" && undo.chip.isConnected) {
        undo.chip.style.left = undo.left; undo.chip.style.top = undo.top;
        undo.parent.insertBefore(undo.chip, undo.next && undo.next.parentNode === undo.parent ? undo.next : null);
        redraw(idOf(undo.chip));
      }
    });
  }

  // Selecting and linking ---------------------------------------------------------------------
  function tap(id) {
    if (!selected || !flag("draw")) { selected = selected === id ? null : id; target = null; }
    else if (id === selected) { selected = null; target = null; }
    else { target = target === id ? null : id; }
    refresh(true);
  }
  document.addEventListener("click", function (e) {
    var chip = e.target.closest ? e.target.closest("button.sh-a") : null;
    if (chip && root() && root().contains(chip)) {
      // A keyboard (Enter, Space) clicks without pressing; a press was handled on its way up.
      if (Date.now() < swallowUntil) { swallowUntil = 0; return; }
      tap(idOf(chip));
      return;
    }
    var el = e.target.closest ? e.target : null;
    if (!el) { return; }
    if (el.closest(".sh-close")) { close(); }
    else if (el.closest(".sh-cancel-link")) { target = null; refresh(false); }
    else if (el.closest(".sh-zoom")) {
      var how = el.closest(".sh-zoom").getAttribute("data-zoom"), port = find(".sh-viewport");
      if (how === "reset") { view.z = 1; view.tx = 0; view.ty = 0; applyView(); }
      else if (port) { zoomAt(how === "in" ? 1.5 : 1 / 1.5, port.clientWidth / 2, port.clientHeight / 2); }
    } else if (el.closest(".sh-r-rate, .sh-r-edit, .sh-r-del")) { tieTool(el.closest("button"), el.closest(".sh-row")); }
  });
  function close() {
    var chip = chipOf(selected);
    selected = null; target = null;
    refresh(false);
    // Back where the keyboard was before the panel opened, without scrolling the map's window
    // (it pans by itself, and a scrolled window would shift every chip from its point).
    if (chip) { chip.focus({ preventScroll: true }); }
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && selected) { close(); }
  });
  // The arrow between the two names says which way a one-way tie will run.
  document.addEventListener("change", function (e) {
    var form = e.target.closest ? e.target.closest(".sh-link-form") : null;
    if (form && e.target.name === "direction") { wayOf(form); }
  });
  function wayOf(form) {
    form.querySelector(".sh-way").textContent = form.querySelector('[name="direction"]').value === "one" ? "→" : "↔";
  }
  document.addEventListener("submit", function (e) {
    if (!e.target.classList.contains("sh-pick")) { return; }
    e.preventDefault();
    var value = e.target.querySelector("select").value;
    if (value) { selected = value; target = null; refresh(true); }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (e.target.classList && e.target.classList.contains("sh-import") && e.detail.successful) { e.target.reset(); }
  });

  function tieTool(button, row) {
    var tie = row.getAttribute("data-tie"), label = row.getAttribute("aria-label") || "";
    var forms = { rate: find(".sh-rate-form"), edit: find(".sh-tie-edit"), del: find(".sh-tie-delete") };
    if (button.classList.contains("sh-r-del")) { setField(forms.del, "tie", tie); htmx.trigger(forms.del, "submit"); return; }
    var form = button.classList.contains("sh-r-rate") ? forms.rate : forms.edit;
    [forms.rate, forms.edit].forEach(function (f) { if (f) { f.hidden = f !== form; } });
    setField(form, "tie", tie);
    current();
    form.querySelector("p").textContent = label;
    if (form === forms.edit) {
      var line = document.getElementById("tie-" + tie);
      var strength = form.querySelector('input[name="strength"][value="' + line.className.baseVal.match(/s(\d)/)[1] + '"]');
      if (strength) { strength.checked = true; }
      setField(form, "direction", line.classList.contains("d") ? "one" : "both");
    }
    form.querySelector("select, input:not([type=hidden])").focus();
  }

  // The tie a rating or change form is open for stands out from the others, its siblings between
  // the same two actors included, so the person sees which of the lines they are rating.
  function current() {
    var tie = null;
    findAll(".sh-rate-form, .sh-tie-edit").forEach(function (form) {
      if (!form.hidden) { tie = form.querySelector('[name="tie"]').value || tie; }
    });
    var line = tie && selected ? document.getElementById("tie-" + tie) : null;
    findAll(".sh-ties .cur").forEach(function (l) { if (l !== line) { l.classList.remove("cur"); } });
    if (line) { line.classList.add("cur"); }
    var map = find(".sh-map");
    if (map) { map.classList.toggle("has-cur", !!line); }
  }

  function tieRows(panel) {
    var list = panel.querySelector(".sh-ties-list"), template = panel.querySelector(".sh-row-template");
    list.textContent = "";
    var lines = linesOf(selected).map(function (line) {
      var a = line.getAttribute("data-a"), b = line.getAttribute("data-b");
      return { line: line, other: a === selected ? b : a, out: a === selected };
    });
    lines.sort(function (p, q) { return byName(name(p.other), name(q.other)); });
    lines.forEach(function (item) {
      var line = item.line, row = template.content.firstElementChild.cloneNode(true);
      var q = (line.getAttribute("data-q") || "- 0 - 0 0").split(" ");
      var dir = row.querySelector(".sh-r-dir"), n = row.querySelector(".sh-r-n"), raters = parseInt(q[4], 10);
      row.setAttribute("data-tie", line.id.slice(4));
      row.querySelector(".sh-r-kind").textContent = typeName("data-k", line.getAttribute("data-k"));
      dir.textContent = dir.getAttribute(!line.classList.contains("d") ? "data-both" : item.out ? "data-to" : "data-from");
      row.querySelector(".sh-r-other").textContent = name(item.other);
      row.querySelector(".sh-r-str").textContent = line.className.baseVal.match(/s(\d)/)[1];
      row.querySelector(".sh-r-trust").textContent = q[0] === "-" ? "–" : decimal(q[0]) + "/4";
      row.querySelector(".sh-r-value").textContent = q[2] === "-" ? "–" : decimal(q[2]) + "/4";
      n.textContent = raters === 0 ? n.getAttribute("data-none") : raters === 1 ? n.getAttribute("data-one")
        : n.getAttribute("data-many").replace("{n}", raters);
      row.setAttribute("aria-label", row.querySelector(".sh-r-kind").textContent + " " + dir.textContent + " " + name(item.other));
      var mine = flag("fac") || line.getAttribute("data-by") === me;
      row.querySelectorAll(".sh-mine-only").forEach(function (el) { el.hidden = !mine; });
      list.appendChild(row);
    });
    panel.querySelector(".sh-no-ties").hidden = lines.length > 0;
    [".sh-rate-form", ".sh-tie-edit"].forEach(function (sel) {
      var form = panel.querySelector(sel), tie = form && form.querySelector('[name="tie"]').value;
      if (form && tie && !document.getElementById("tie-" + tie)) { form.hidden = true; }
    });
  }

  function fillPanel(panel, chip, opened) {
    var id = selected, draw = flag("draw"), mine = flag("fac") || chip.getAttribute("data-by") === me;
    var zones = panel.querySelector(".sh-zone-form select");
    panel.querySelector(".sh-sel-name").textContent = chip.textContent;
    panel.querySelector(".sh-sel-type").textContent = typeName("data-c", chip.getAttribute("data-c"));
    var zone = chip.getAttribute("data-z"), names = find(".sh-zone-names");
    var label = names && names.content.querySelector('[data-z="' + (zone || "none") + '"]');
    panel.querySelector(".sh-sel-zone").textContent = label ? label.textContent : "";
    panel.querySelectorAll('form input[name="actor"]').forEach(function (input) { input.value = id; });
    if (zones && zone) { zones.value = zone; }
    var claimed = owners(chip).indexOf(me) >= 0;
    var claim = panel.querySelector(".sh-claim"), unclaim = panel.querySelector(".sh-unclaim");
    if (claim) { claim.hidden = claimed; unclaim.hidden = !claimed; }
    panel.querySelectorAll(".sh-panel > .sh-mine-only").forEach(function (el) { el.hidden = !mine; });
    var edit = panel.querySelector(".sh-edit");
    if (edit && (opened || !edit.open)) {
      setField(edit.querySelector("form"), "name", chip.textContent);
      setField(edit.querySelector("form"), "category", chip.getAttribute("data-c"));
    }
    var link = panel.querySelector(".sh-link-form");
    if (link) {
      var linking = draw && !!target && !!chipOf(target);
      link.hidden = !linking;
      panel.querySelector(".sh-link-hint").hidden = linking;
      setField(link, "source", id); setField(link, "target", linking ? target : "");
      link.querySelector(".sh-from").textContent = chip.textContent;
      link.querySelector(".sh-to").textContent = linking ? name(target) : "";
      wayOf(link);
    }
    tieRows(panel);
  }

  function fillSelects(force) {
    var names = findAll(".sh-a").map(function (chip) { return [idOf(chip), chip.textContent]; });
    // Which actors exist and their names, whatever their order on the page (a move reorders them).
    var sig = names.map(function (p) { return p[0] + "\u0001" + p[1]; }).sort().join("\u0002");
    if (sig === signature && !force) { return; }
    signature = sig;
    names.sort(function (p, q) { return byName(p[1], q[1]); });
    findAll("select[data-actors]").forEach(function (select) {
      var keep = select.value, placeholder = select.options[0];
      var skip = select.hasAttribute("data-skip-selected") ? selected : null;
      select.textContent = "";
      select.appendChild(placeholder);
      names.forEach(function (p) {
        if (p[0] !== skip) { select.appendChild(new Option(p[1], p[0], false, p[0] === keep)); }
      });
    });
  }

  // Brings marks, panel and lists in line with the page after a change (ours or the server's).
  function refresh(opened) {
    var r = root();
    if (!r) { selected = target = null; return; }
    if (selected && !chipOf(selected)) { selected = target = null; }
    if (target && !chipOf(target)) { target = null; }
    findAll(".sh-a.sel, .sh-a.sel2").forEach(function (c) { c.classList.remove("sel", "sel2"); });
    findAll(".sh-ties .hl").forEach(function (l) { l.classList.remove("hl"); });
    find(".sh-map").classList.toggle("has-sel", !!selected);
    var mine = findAll(".sh-a").filter(function (c) { return me && owners(c).indexOf(me) >= 0; })[0];
    findAll(".sh-a.mine").forEach(function (c) { if (c !== mine) { c.classList.remove("mine"); } });
    var mineNote = find(".sh-mine");
    if (mineNote) { mineNote.hidden = !mine; mineNote.querySelector("strong").textContent = mine ? mine.textContent : ""; }
    if (mine) { mine.classList.add("mine"); }
    var panel = find(".sh-panel");
    fillSelects(opened);
    if (!panel) { return; }
    if (!selected) { panel.hidden = true; current(); return; }
    chipOf(selected).classList.add("sel");
    if (target) { chipOf(target).classList.add("sel2"); }
    linesOf(selected).forEach(function (l) { l.classList.add("hl"); });
    var wasHidden = panel.hidden;
    panel.hidden = false;
    fillPanel(panel, chipOf(selected), opened);
    current();
    if (opened && wasHidden) {
      panel.focus({ preventScroll: true });
      // On a phone the panel is a sheet over the bottom of the screen: bring the whole map above it.
      if (getComputedStyle(panel).position === "fixed") { find(".sh-viewport").scrollIntoView({ block: "start" }); }
      else { panel.scrollIntoView({ block: "nearest" }); }
    }
  }

  // Names that do not hide one another ----------------------------------------------------------
  // Each chip is drawn centred on its point, then moved aside, as little as needed, until no two
  // chips overlap and every chip is whole inside the map. Only the drawing moves: the stored
  // point stays (a drag starts from where the chip is seen). The ties follow the drawn chips.
  var GAP = 2, lastLayout = "";
  function declutter() {
    var map = find(".sh-map");
    if (!map) { return; }
    var W = map.offsetWidth, H = map.offsetHeight;
    if (!W || !H) { return; }
    var chips = findAll(".sh-actors .sh-a").filter(function (c) { return c.style.left && !c.classList.contains("dragging"); });
    // Nothing moved, came, went or changed size since the last pass: the drawing stands.
    var sig = W + "x" + H + chips.map(function (c) { return c.id + c.style.left + c.style.top + c.className + c.textContent.length; }).join();
    var fresh = chips.some(function (c) { return !c.hasAttribute("data-dx"); });
    if (sig === lastLayout && !fresh) { return; }
    lastLayout = sig;
    var items = chips
      .map(function (c) {
        var x = parseFloat(c.style.left) / 100 * W, y = parseFloat(c.style.top) / 100 * H;
        return { c: c, x0: x, y0: y, x: x, y: y, w: c.offsetWidth + GAP, h: c.offsetHeight + GAP };
      });
    // Zone names and axes stay where they are: chips step aside from them as from one another.
    var origin = map.getBoundingClientRect();
    findAll(".sh-quadrants span, .sh-zone-label, .sh-axis").forEach(function (label) {
      var range = document.createRange();
      range.selectNodeContents(label);
      var box = range.getBoundingClientRect();
      if (box.width && box.height) {
        items.push({ fixed: true, x: box.left - origin.left + box.width / 2, y: box.top - origin.top + box.height / 2,
                     w: box.width + GAP, h: box.height + GAP });
      }
    });
    function keepIn(it) {
      if (it.fixed) { return; }
      it.x = it.w >= W ? W / 2 : Math.min(W - it.w / 2, Math.max(it.w / 2, it.x));
      it.y = it.h >= H ? H / 2 : Math.min(H - it.h / 2, Math.max(it.h / 2, it.y));
    }
    items.forEach(keepIn);
    var rounds = items.length > 300 ? 20 : 300, widest = 0;
    items.forEach(function (it) { widest = Math.max(widest, it.w); });
    function byX(p, q) { return p.x - q.x; }
    for (var r = 0; r < rounds; r++) {
      var moved = false;
      // Sorted from left to right, a chip only meets the ones that start before it ends.
      items.sort(byX);
      for (var i = 0; i < items.length; i++) {
        var a = items[i];
        for (var j = i + 1; j < items.length; j++) {
          var b = items[j], dx = b.x - a.x, dy = b.y - a.y;
          if (dx > (a.w + widest) / 2) { break; }
          if (a.fixed && b.fixed) { continue; }
          var ox = (a.w + b.w) / 2 - Math.abs(dx), oy = (a.h + b.h) / 2 - Math.abs(dy);
          if (ox <= 0.5 || oy <= 0.5) { continue; }
          moved = true;
          // Apart along the line between their centres, measured in chip sizes (so wide names
          // part sideways as readily as up and down, and a crowd spreads every way rather than
          // into one tall column); each half the way, all of it for a chip meeting a label.
          var hw = (a.w + b.w) / 2, hh = (a.h + b.h) / 2, nx = dx / hw, ny = dy / hh;
          if (Math.abs(nx) < 1e-6 && Math.abs(ny) < 1e-6) { nx = Math.cos(i * 2.4); ny = Math.sin(i * 2.4); }
          var len = Math.sqrt(nx * nx + ny * ny), ux = nx / len, uy = ny / len;
          var need = Math.min(Math.abs(ux) > 1e-6 ? (ox / hw) / Math.abs(ux) : Infinity,
                              Math.abs(uy) > 1e-6 ? (oy / hh) / Math.abs(uy) : Infinity);
          var ka = a.fixed ? 0 : b.fixed ? 1 : 0.5, kb = 1 - ka;
          a.x -= ux * need * hw * ka; a.y -= uy * need * hh * ka;
          b.x += ux * need * hw * kb; b.y += uy * need * hh * kb;
          keepIn(a); keepIn(b);
        }
      }
      if (!moved) { break; }
    }
    items.forEach(function (it) {
      if (it.fixed) { return; }
      var dx = it.x - it.x0, dy = it.y - it.y0;
      // Whole pixels: a chip's text stays crisp.
      it.c.style.setProperty("--dx", Math.round(dx) + "px");
      it.c.style.setProperty("--dy", Math.round(dy) + "px");
      it.c.setAttribute("data-dx", (dx / W * 100).toFixed(2));
      it.c.setAttribute("data-dy", (dy / H * 100).toFixed(2));
    });
    var pairs = {};
    findAll(".sh-ties polyline[data-a]").forEach(function (line) {
      var a = line.getAttribute("data-a"), b = line.getAttribute("data-b"), key = a < b ? a + " " + b : b + " " + a;
      (pairs[key] = pairs[key] || []).push(line);
    });
    Object.keys(pairs).forEach(function (key) { pairs[key].forEach(function (line) { draw(line, null, pairs[key]); }); });
  }

  // Zoom and pan (phones and the facilitator's page) --------------------------------------------
  // The map grows inside its window (names keep their size and part), and moves under the fingers.
  var view = { z: 1, tx: 0, ty: 0 }, MAX_ZOOM = 4, touches = {}, gesture = null;
  function applyView() {
    var port = find(".sh-viewport"), map = find(".sh-map");
    if (!port || !map) { return; }
    view.z = Math.min(MAX_ZOOM, Math.max(1, view.z));
    var W = port.clientWidth, H = port.clientHeight;
    view.tx = Math.min(0, Math.max(W - W * view.z, view.tx));
    view.ty = Math.min(0, Math.max(H - H * view.z, view.ty));
    map.style.setProperty("--z", view.z.toFixed(3));
    map.style.setProperty("--zf", Math.min(1.5, Math.sqrt(view.z)).toFixed(3));
    map.style.setProperty("--tx", view.tx.toFixed(1) + "px");
    map.style.setProperty("--ty", view.ty.toFixed(1) + "px");
    port.classList.toggle("zoomed", view.z > 1.001);
    soon();
  }
  function zoomAt(factor, cx, cy) {
    var z = Math.min(MAX_ZOOM, Math.max(1, view.z * factor));
    view.tx = cx - (cx - view.tx) * z / view.z;
    view.ty = cy - (cy - view.ty) * z / view.z;
    view.z = z;
    applyView();
  }
  var queued = false;
  function soon() {
    if (queued) { return; }
    queued = true;
    requestAnimationFrame(function () { queued = false; declutter(); });
  }
  function portPoint(port, e) { var box = port.getBoundingClientRect(); return { x: e.clientX - box.left, y: e.clientY - box.top }; }
  function spread() {
    var ids = Object.keys(touches), a = touches[ids[0]], b = touches[ids[1]];
    return { d: Math.max(1, Math.hypot(a.x - b.x, a.y - b.y)), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }
  function startGesture() {
    var ids = Object.keys(touches);
    if (ids.length >= 2) {
      // A second finger turns whatever the first one started (a drag included) into a pinch.
      if (drag) { drag.chip.classList.remove("dragging"); drag.chip.style.translate = ""; redraw(drag.id); drag = null; }
      var s = spread();
      gesture = { two: true, d: s.d, x: s.x, y: s.y, z: view.z, tx: view.tx, ty: view.ty };
    } else if (ids.length === 1 && view.z > 1.001 && !touches[ids[0]].chip) {
      var t = touches[ids[0]];
      gesture = { two: false, x: t.x, y: t.y, tx: view.tx, ty: view.ty };
    } else { gesture = null; }
  }
  document.addEventListener("pointerdown", function (e) {
    var port = find(".sh-viewport");
    if (!port || root().getAttribute("data-view") === "screen") { return; }
    var box = port.getBoundingClientRect();
    if (e.clientX < box.left || e.clientX > box.right || e.clientY < box.top || e.clientY > box.bottom) { return; }
    var onChip = !!(e.target.closest && e.target.closest("button.sh-a"));
    if (onChip && e.pointerType !== "touch") { return; }
    touches[e.pointerId] = portPoint(port, e);
    touches[e.pointerId].chip = onChip;
    startGesture();
  });
  document.addEventListener("pointermove", function (e) {
    if (!(e.pointerId in touches)) { return; }
    var port = find(".sh-viewport"), chip = touches[e.pointerId].chip;
    touches[e.pointerId] = portPoint(port, e);
    touches[e.pointerId].chip = chip;
    if (!gesture) { return; }
    if (gesture.two && Object.keys(touches).length >= 2) {
      var s = spread(), z = Math.min(MAX_ZOOM, Math.max(1, gesture.z * s.d / gesture.d));
      view.tx = s.x - (gesture.x - gesture.tx) * z / gesture.z;
      view.ty = s.y - (gesture.y - gesture.ty) * z / gesture.z;
      view.z = z;
    } else if (!gesture.two) {
      view.tx = gesture.tx + touches[e.pointerId].x - gesture.x;
      view.ty = gesture.ty + touches[e.pointerId].y - gesture.y;
    }
    applyView();
    e.preventDefault();
  });
  function lift(e) {
    if (!(e.pointerId in touches)) { return; }
    delete touches[e.pointerId];
    startGesture();
  }
  document.addEventListener("pointerup", lift);
  document.addEventListener("pointercancel", lift);

  // Projector: the map takes the height left in the window, so nothing scrolls ------------------
  function fit() {
    var r = root();
    if (!r || r.getAttribute("data-view") !== "screen") { return; }
    var top = r.getBoundingClientRect().top + window.scrollY;
    var height = Math.max(200, window.innerHeight - top - 4);
    body.style.setProperty("--sh-fit", height + "px");
    var over = document.documentElement.scrollHeight - window.innerHeight;
    if (over > 0) { body.style.setProperty("--sh-fit", Math.max(200, height - over) + "px"); }
    // Actors not placed yet are listed beside the map, in smaller type when many; when even that
    // is not enough (the start of a workshop, few ties yet), the legend makes room for them.
    var tray = r.querySelector(".sh-tray-list"), box = tray && tray.parentNode;
    r.classList.remove("crowded");
    if (!tray || !tray.children.length) { return; }
    function shrink(floor) {
      tray.style.fontSize = "";
      var size = parseFloat(getComputedStyle(tray).fontSize);
      while (size > floor && tray.getBoundingClientRect().top + tray.scrollHeight > box.getBoundingClientRect().bottom - 8) {
        size -= 1;
        tray.style.fontSize = size + "px";
      }
      return tray.getBoundingClientRect().top + tray.scrollHeight <= box.getBoundingClientRect().bottom - 8;
    }
    if (!shrink(15)) { r.classList.add("crowded"); shrink(12); }
  }
  window.addEventListener("resize", function () { fit(); applyView(); });
  // Focus moving to a chip outside the window of a zoomed map would scroll that window; the map
  // pans by its own offset instead, so the window stays at its origin.
  document.addEventListener("scroll", function (e) {
    var port = e.target.classList && e.target.classList.contains("sh-viewport") ? e.target : null;
    if (port && (port.scrollLeft || port.scrollTop)) {
      view.tx -= port.scrollLeft; view.ty -= port.scrollTop;
      port.scrollLeft = 0; port.scrollTop = 0;
      applyView();
    }
  }, true);

  // A chip is as wide as its name's longest word (see stakeholders.css); a single word too long
  // for the place it is in (a code, a pasted string) would push it off the screen: that chip
  // gets a fixed width and breaks the word anywhere.
  function tame() {
    var map = find(".sh-map"), W = map ? map.offsetWidth : 0;
    findAll(".sh-a:not(.long)").forEach(function (chip) {
      var room = chip.parentNode.classList.contains("sh-actors") ? 0.45 * W : 0.95 * chip.parentNode.clientWidth;
      if (room > 24 && chip.offsetWidth > room) { chip.classList.add("long"); chip.style.width = Math.floor(room) + "px"; }
    });
  }
  function settle() { fit(); applyView(); tame(); declutter(); }
  document.addEventListener("htmx:wsAfterMessage", function () { undoRefusedMoves(); refresh(false); settle(); });
  document.addEventListener("DOMContentLoaded", function () { refresh(false); settle(); });
})();
