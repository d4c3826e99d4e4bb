// The projector fits the board to the screen, since nobody scrolls a projector. In this order:
// more columns, then a smaller type down to a floor, then pages that turn by themselves (or at
// the projector's keyboard). Only attributes and CSS variables change: every region keeps its
// place and id, so the frames' out-of-band swaps still find them. Run again after every frame and
// on resize.
(function () {
  "use strict";
  var body = document.body;
  if (!body.classList.contains("view-screen")) { return; }

  // The smallest text of a card, in rem: the root size follows the screen (16 px at 1920×1080),
  // so the floor, 1.5 rem, is 24 px there.
  var SIZES = [2.25, 2.1, 1.95, 1.8, 1.7, 1.6, 1.5];
  var SPOT_SIZES = [4, 3.5, 3, 2.6, 2.2, 1.9, 1.6];
  // The units a board is made of: what a page shows or leaves for another.
  var UNITS = ".lv-card, .lv-rank li, .ind-card, .ind-ranking li, .ind-baros .ind-baro, .note";
  // The column counts each layout may take, the first layout found on the stage deciding.
  var LAYOUTS = [[".lv-spot:not([hidden]), .ind-spot:not([hidden])", [1]],
                 [".lv-gathered", [2, 3, 4, 5]], [".lv-results:not([hidden])", [2, 3, 4]], [".lv-field", [1, 2, 3]],
                 [".notes", [2, 3, 4, 5, 6]], [".ind-baros", [2, 3, 4, 5]], [".ind-ranking", [1, 2, 3]],
                 [".ind-cards", [2, 3, 4, 5]]];

  var pager = document.querySelector(".screen-pager");
  var pages = [];          // [first, end) indexes into the units, one pair per page
  var page = 0;
  var held = false;        // pages turn by themselves unless someone holds them
  var turnTimer = null;
  var shownKey = null;     // the board and phase on screen: another one starts at its first page
  var lastFit = 0, queued = false;
  var lastAll = [];        // the units found at the last fit, to tell a frame that changed none
  var resized = false;
  var lastSpot = null;

  function area() { return document.querySelector(".projector .board-area"); }
  // The stage has the height of the screen below the bar; what it holds may run past it.
  function overflows(box) {
    return box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1;
  }
  function size(stage, fs, cols) {
    stage.style.setProperty("--fs", fs + "rem");
    stage.style.setProperty("--cols", String(cols));
  }
  function showRange(units, from, to) {
    units.forEach(function (unit, i) {
      if (i >= from && i < to) { unit.removeAttribute("data-off"); } else { unit.setAttribute("data-off", ""); }
    });
  }
  function layoutOf(stage) {
    for (var i = 0; i < LAYOUTS.length; i++) {
      if (stage.querySelector(LAYOUTS[i][0])) { return LAYOUTS[i][1]; }
    }
    return [1];
  }

  // How many units, from `start`, one page holds (at least one).
  function pageFrom(box, units, start) {
    var lo = 1, hi = units.length - start;
    showRange(units, start, start + hi);
    if (!overflows(box)) { return hi; }
    while (lo < hi) {
      var mid = Math.ceil((lo + hi) / 2);
      showRange(units, start, start + mid);
      if (overflows(box)) { hi = mid - 1; } else { lo = mid; }
    }
    return lo;
  }

  // A card or histogram in the spotlight covers the board: its type is as large as it can be.
  function fitSpot(spot) {
    for (var i = 0; i < SPOT_SIZES.length; i++) {
      spot.style.setProperty("--spot", SPOT_SIZES[i] + "rem");
      if (!overflows(spot)) { return; }
    }
  }

  function fit() {
    queued = false;
    lastFit = Date.now();
    var stage = document.getElementById("stage"), box = stage;
    if (!area() || !stage) { return; }
    var units = Array.prototype.slice.call(stage.querySelectorAll(UNITS));
    // Most frames change a count or a tally, not the cards: the same cards on a page that still
    // fits need no new fit (a room voting sends several frames a second).
    var phaseNow = stage.querySelector(".phase");
    var keyNow = (stage.getAttribute("data-board") || "") + "/" + (phaseNow ? phaseNow.getAttribute("data-phase") : "");
    var spotNow = stage.querySelector(".lv-spot:not([hidden]), .ind-spot:not([hidden])");
    var same = !resized && keyNow === shownKey && spotNow === lastSpot && units.length === lastAll.length &&
      units.every(function (unit, i) { return unit === lastAll[i]; });
    resized = false;
    lastAll = units;
    lastSpot = spotNow;
    if (same && !overflows(box)) { return; }
    // Units of a part the projector does not show (the field once the results are out) are none.
    showRange(units, 0, units.length);
    units = units.filter(function (unit) { return unit.getClientRects().length > 0; });
    var first = pages.length && pages[page] ? unitKey(currentUnits[pages[page][0]]) : null;
    if (keyNow !== shownKey) { first = null; shownKey = keyNow; }
    currentUnits = units;
    body.classList.remove("paged");
    if (spotNow) {
      fitSpot(spotNow);
      pages = [[0, units.length]];
      return paginate(0);
    }
    showRange(units, 0, units.length);
    stage.style.removeProperty("--zoom");
    var columns = layoutOf(stage);
    for (var s = 0; s < SIZES.length; s++) {
      for (var c = 0; c < columns.length; c++) {
        size(stage, SIZES[s], columns[c]);
        if (!overflows(box)) { pages = [[0, units.length]]; return paginate(0); }
      }
    }
    if (!units.length) {
      // A board with nothing to spread over pages (a map, a count) is scaled down as a whole.
      for (var tries = 0; tries < 3 && overflows(box); tries++) {
        var zoom = parseFloat(stage.style.getPropertyValue("--zoom") || "1");
        zoom *= Math.min(box.clientHeight / box.scrollHeight, box.clientWidth / box.scrollWidth) * 0.99;
        stage.style.setProperty("--zoom", String(zoom));
      }
      pages = [[0, 0]];
      return paginate(0);
    }
    // Pages, at the floor, with the column count whose first page holds the most.
    body.classList.add("paged");
    var floor = SIZES[SIZES.length - 1], best = null;
    columns.forEach(function (cols) {
      size(stage, floor, cols);
      var n = pageFrom(box, units, 0);
      if (!best || n > best.n) { best = { cols: cols, n: n }; }
    });
    size(stage, floor, best.cols);
    pages = [];
    for (var start = 0; start < units.length;) {
      var n = pageFrom(box, units, start);
      pages.push([start, start + n]);
      start += n;
    }
    var at = 0;
    if (first !== null) {
      var index = units.map(unitKey).indexOf(first);
      pages.forEach(function (range, p) { if (index >= range[0] && index < range[1]) { at = p; } });
    }
    paginate(at);
  }
  var currentUnits = [];
  function unitKey(unit) {
    if (!unit) { return null; }
    return unit.id || (unit.parentNode ? Array.prototype.indexOf.call(unit.parentNode.children, unit) + ":" + unit.textContent.slice(0, 40) : null);
  }

  // Shows page `at`; the pages turn on their own while there are several and nobody holds them.
  function paginate(at) {
    var changed = at !== page || pager.hidden !== (pages.length < 2);
    page = at;
    if (pages.length > 1) {
      showRange(currentUnits, pages[page][0], pages[page][1]);
    }
    pager.hidden = pages.length < 2;
    if (pages.length < 2) { clearTimeout(turnTimer); turnTimer = null; return; }
    pager.querySelector(".screen-page").textContent = (pager.getAttribute("data-t-page") || "{n}/{total}")
      .replace("{n}", String(page + 1)).replace("{total}", String(pages.length));
    if (changed || !turnTimer) { schedule(); }
  }

  // Long enough to read the page aloud together: more words, more time.
  function pace() {
    var range = pages[page], chars = 0;
    for (var i = range[0]; i < range[1]; i++) { chars += currentUnits[i].textContent.trim().length; }
    return Math.min(45000, Math.max(12000, 6000 + chars * 45));
  }
  function schedule() {
    clearTimeout(turnTimer);
    turnTimer = null;
    var bar = pager.querySelector(".screen-pace span");
    bar.style.transition = "none";
    bar.style.width = held ? "100%" : "0";
    var hold = pager.querySelector("[data-turn=hold]");
    hold.textContent = held ? "▶" : "❚❚";
    hold.setAttribute("aria-label", pager.getAttribute(held ? "data-t-play" : "data-t-pause") || "");
    if (held || pages.length < 2) { return; }
    var ms = pace();
    bar.getBoundingClientRect();  // start the bar from empty
    bar.style.transition = "width " + ms + "ms linear";
    bar.style.width = "100%";
    turnTimer = setTimeout(function () { turn(1); }, ms);
  }
  function turn(step) {
    if (pages.length < 2) { return; }
    page = (page + step + pages.length) % pages.length;
    showRange(currentUnits, pages[page][0], pages[page][1]);
    paginate(page);
    schedule();
  }

  // Frames come in bursts while a room votes: one fit per animation frame at most, and no more
  // than a few a second; a fit right after the swap keeps a turned page from flashing.
  function later() {
    if (queued) { return; }
    queued = true;
    var wait = Math.max(0, 200 - (Date.now() - lastFit));
    setTimeout(function () { requestAnimationFrame(fit); }, wait);
  }
  // The facilitator's remote: each new turn is acted on once, whatever frame brings it.
  var remote = document.getElementById("screen-remote");
  var turnsSeen = remote ? parseInt(remote.getAttribute("data-turns") || "0", 10) : 0;
  if (remote) { held = remote.getAttribute("data-held") === "true"; }
  document.addEventListener("htmx:wsAfterMessage", function () {
    var now = document.getElementById("screen-remote");
    var turns = now ? parseInt(now.getAttribute("data-turns") || "0", 10) : 0;
    if (!now || turns <= turnsSeen) { return; }
    turnsSeen = turns;
    var step = now.getAttribute("data-step");
    if (step === "next" || step === "prev") { turn(step === "next" ? 1 : -1); }
    else { held = now.getAttribute("data-held") === "true"; if (pages.length > 1) { schedule(); } }
  });
  document.addEventListener("htmx:wsAfterMessage", later);
  document.addEventListener("htmx:afterSettle", later);
  window.addEventListener("resize", function () { resized = true; later(); });
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(function () { resized = true; later(); }); }
  later();

  pager.addEventListener("click", function (e) {
    var button = e.target.closest("[data-turn]");
    if (!button) { return; }
    var what = button.getAttribute("data-turn");
    if (what === "hold") { held = !held; schedule(); } else { turn(what === "next" ? 1 : -1); }
  });
  var corner = document.querySelector(".joincorner");
  function toggleJoin() { if (corner) { corner.classList.toggle("big"); } }
  if (corner) { corner.addEventListener("click", toggleJoin); }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "ArrowRight" || e.key === "PageDown") { turn(1); }
    else if (e.key === "ArrowLeft" || e.key === "PageUp") { turn(-1); }
    else if (e.key === " ") { held = !held; schedule(); e.preventDefault(); }
    else if (e.key === "j" || e.key === "J" || e.key === "q" || e.key === "Q") { toggleJoin(); }
    else if (e.key === "Escape" && corner) { corner.classList.remove("big"); }
  });

  window.maillageScreen = { fit: fit, idle: function () { return !queued; }, pages: function () { return pages.length; }, page: function () { return page; },
                            turn: turn };
})();
