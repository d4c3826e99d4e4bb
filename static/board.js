// Live workshop client: connection state, operation ids, the outbox of pending actions,
// resync on reconnect. htmx and its websocket extension do the swapping.
(function () {
  "use strict";
  var body = document.body;
  var t = function (key) { return body.getAttribute("data-t-" + key) || key; };
  var lastSeq = parseInt(body.getAttribute("data-seq") || "0", 10);
  var socket = null;            // htmx-ext-ws public wrapper
  var pending = {};             // op -> {label, body, sentAt, state, form, key, fields}
  var RETRY_AFTER = 8000;
  var TOAST_MS = 6000;          // how long a refusal stays in the outbox
  // Reconnection: full jitter, doubling from one second up to half a minute.
  var BACKOFF_BASE = 1000, BACKOFF_CAP = 30000;
  var RETRIED_BY_HTMX = [1006, 1011, 1012, 1013];   // the extension reconnects after these itself
  var FINAL = [4403, 4404];     // removed participant, unknown workshop: coming back is refused
  // Reconnected too soon, or flooding: try again later, further apart, and for a while do not
  // count an answered hello as a sign that all is well.
  var SLOW_DOWN = [4429, 1008];
  var attempts = 0;             // reconnections since a connection last brought a frame
  var patientUntil = 0;
  var ended = false;            // closed for good (FINAL)

  // Actions not yet acknowledged survive a reload, or the phone's browser discarding the tab:
  // kept in this tab's session storage, sent again with their operation ids.
  var STORE = "maillage.outbox:" + location.pathname;   // one per page: a participant, a proxy, the console
  function save() {
    var keep = {};
    Object.keys(pending).forEach(function (op) {
      if (pending[op].state === "pending") { keep[op] = { label: pending[op].label, body: pending[op].body }; }
    });
    try {
      if (Object.keys(keep).length) { sessionStorage.setItem(STORE, JSON.stringify(keep)); }
      else { sessionStorage.removeItem(STORE); }
    } catch (err) { /* storage full or refused: the outbox still lives in this page */ }
  }
  try {
    var kept = JSON.parse(sessionStorage.getItem(STORE) || "{}");
    Object.keys(kept).forEach(function (op) {
      pending[op] = { label: kept[op].label, body: kept[op].body, sentAt: 0, state: "pending" };
    });
  } catch (err) { /* nothing readable kept */ }
  function unsaved() {
    return Object.keys(pending).some(function (op) { return pending[op].state === "pending"; });
  }
  window.addEventListener("beforeunload", function (e) {
    if (unsaved()) { e.preventDefault(); e.returnValue = ""; }
  });

  function newOp() {
    // crypto.randomUUID needs a secure context; phones reach us over plain http on the LAN.
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // A participant sees the tools of their own notes only: one CSS rule keyed by their id.
  var me = body.getAttribute("data-me");
  if (me && /^[A-Za-z0-9]+$/.test(me) && body.classList.contains("view-participant")) {
    var sheet = document.createElement("style");
    document.head.appendChild(sheet);
    sheet.sheet.insertRule('[data-author="' + me + '"] .own-only { display: flex; }', 0);
    sheet.sheet.insertRule('[data-author="' + me + '"] { border-color: var(--accent); }', 1);
  }

  function setConn(online) {
    var conn = document.getElementById("conn");
    body.classList.toggle("offline", !online);
    if (conn) {
      conn.textContent = online ? t("online") : ended ? t("ended") : t("offline");
      conn.className = "conn " + (online ? "on" : "off");
    }
  }

  function drawOutbox() {
    var box = document.getElementById("outbox");
    if (!box) { return; }
    box.textContent = "";
    Object.keys(pending).forEach(function (op) {
      var item = pending[op];
      var p = document.createElement("p");
      p.className = "out " + item.state;
      p.setAttribute("data-op", op);
      p.textContent = item.label + t("colon") + t(item.state);
      if (item.state === "refused") {
        var close = document.createElement("button");
        close.type = "button"; close.className = "link"; close.textContent = "×";
        close.setAttribute("aria-label", t("dismiss"));
        close.addEventListener("click", function () { delete pending[op]; drawOutbox(); });
        p.appendChild(close);
      }
      box.appendChild(p);
    });
    // The outbox floats over the bottom of the screen. While a refusal stays there (six seconds),
    // the page gets as much room below its last button, so that scrolling down uncovers it; the
    // notes that pass in a second and a half leave the layout alone.
    var lasting = box.querySelector(".out.refused");
    body.style.paddingBottom = lasting ? (box.offsetHeight + 16) + "px" : "";
  }

  function settle(op, state) {
    var item = pending[op];
    if (!item) { return; }
    item.state = state;
    save(); drawOutbox();
    setTimeout(function () {
      if (pending[op] && pending[op].state === state) { delete pending[op]; drawOutbox(); }
    }, state === "saved" ? 1500 : TOAST_MS);
    if (state === "refused") { giveBack(item); }
  }

  // The form an action came from: the same element, or the one that replaced it in a re-render.
  function formOf(item) {
    if (!item.form) { return null; }
    if (item.form.isConnected) { return item.form; }
    return Array.prototype.filter.call(document.forms, function (f) { return formKey(f) === item.key; })[0] || null;
  }
  function typed(form) {
    return !!form.querySelector("textarea, input:not([type]), input[type=text], input[type=number], input[type=search]");
  }
  // A refused action leaves its form as it was when sent, with the reason beside it.
  function giveBack(item) {
    var form = formOf(item);
    if (!form) {
      // Its form is gone while contributions are closed: what was typed comes back with it.
      if (item.fields && item.key) { orphans[item.key] = { fields: item.fields }; }
      return;
    }
    if (item.fields && !Array.prototype.some.call(form.elements, edited)) { fill(form, item.fields); }
    if (!typed(form)) { return; }
    var notice = document.querySelector("#notice .notice");
    var reason = form.querySelector(".refusal");
    if (!reason) {
      reason = document.createElement("p");
      reason.className = "refusal";
      form.appendChild(reason);
    }
    reason.textContent = notice ? notice.textContent : t("refused");
  }
  // Banners and reasons said why something was refused: once that is no longer true (an action of
  // this person accepted, the workshop unlocked, the timer's closing over), they go.
  function clearRefusals() {
    var notice = document.getElementById("notice");
    if (notice) { notice.textContent = ""; }
    Array.prototype.forEach.call(document.querySelectorAll("form .refusal"), function (p) { p.remove(); });
  }
  function closed() {
    return !!document.querySelector("#locked .banner, #timer[data-closed]");
  }
  // A participant's forms are off while contributions are closed: what was typed stays in them.
  function applyClosed() {
    var off = closed() && body.classList.contains("view-participant");
    Array.prototype.forEach.call(document.querySelectorAll("#stage form[ws-send]"), function (form) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.type === "hidden") { return; }
        if (off && !el.disabled) { el.disabled = true; el.setAttribute("data-closed", ""); }
        else if (!off && el.hasAttribute("data-closed")) { el.disabled = false; el.removeAttribute("data-closed"); }
      });
    });
  }

  var current = null;           // the WebSocket in use; htmx may drop one for a new one
  var replaced = null;          // the one this page closed itself to start a new one
  document.addEventListener("htmx:wsOpen", function (e) {
    socket = e.detail.socketWrapper;
    current = e.detail.event.target;
    setConn(true);
    // Say what we saw last before htmx flushes actions queued while offline.
    socket.sendImmediately(JSON.stringify({ type: "hello", last_seq: lastSeq }));
    // Actions sent into a connection that died may never have arrived: send them again now, with
    // their operation ids (the server applies each once). htmx sends its own queue itself.
    var queued = socket.queue.map(function (q) { return q.message; });
    Object.keys(pending).forEach(function (op) {
      var item = pending[op];
      if (item.state === "pending" && queued.indexOf(item.body) < 0) { item.sentAt = Date.now(); socket.send(item.body); }
    });
  });
  // A socket dropped for a new one may report its end late: that says nothing of the new one.
  function ofCurrent(e) { var ws = (e.detail.event || e.detail.error || {}).target; return !ws || !current || ws === current; }
  // The extension reconnects after 1006, 1011, 1012 and 1013 only, with this delay. Every other
  // close but the final ones (a server shutting down says 1001, a proxy 1000 or 1005) is retried
  // here, through the extension's own reconnect, with the same delay.
  function backoff() {
    var delay = Math.random() * Math.min(BACKOFF_CAP, BACKOFF_BASE * Math.pow(2, attempts));
    attempts += 1;
    return delay;
  }
  if (window.htmx) { htmx.config.wsReconnectDelay = backoff; }
  document.addEventListener("htmx:wsClose", function (e) {
    if (!ofCurrent(e)) { return; }
    var code = e.detail.event && e.detail.event.code;
    if (e.detail.event && e.detail.event.target === replaced) { setConn(false); return; }  // a new one is on its way
    if (FINAL.indexOf(code) >= 0) { ended = true; setConn(false); return; }
    setConn(false);
    if (SLOW_DOWN.indexOf(code) >= 0) { attempts += 1; patientUntil = Date.now() + 2 * BACKOFF_CAP; }
    if (RETRIED_BY_HTMX.indexOf(code) >= 0) { return; }
    var wrapper = e.detail.socketWrapper, dead = current;
    setTimeout(function () { if (current === dead && !ended) { wrapper.reconnect(); } }, backoff());
  });
  document.addEventListener("htmx:wsError", function (e) { if (ofCurrent(e)) { setConn(false); } });
  // A phone that loses its network often keeps a connection that looks open for minutes: say it is
  // offline at once, and start a fresh connection as soon as the network is back.
  window.addEventListener("offline", function () { setConn(false); });
  window.addEventListener("online", function () {
    if (socket && current && current.readyState === WebSocket.OPEN) { replaced = current; socket.reconnect(); }
  });

  document.addEventListener("htmx:wsConfigSend", function (e) {
    var form = e.target;
    // htmx halts after this event when the form is invalid: nothing is sent, nothing is pending.
    if (e.detail.errors && e.detail.errors.length) { return; }
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { e.preventDefault(); return; }
    var op = newOp();
    var params = Object.assign({}, e.detail.parameters, { op: op });
    e.detail.messageBody = JSON.stringify(params);
    var item = pending[op] = { label: form.getAttribute("data-label") || "Action", body: e.detail.messageBody,
                               sentAt: Date.now(), state: "pending" };
    if (form.tagName === "FORM") { item.form = form; item.key = formKey(form); }
    save(); drawOutbox();
    // The form empties for the next idea; should the action be refused, its text comes back.
    if (form.hasAttribute("data-reset")) {
      item.fields = Array.prototype.filter.call(form.elements, edited).map(fieldOf);
      setTimeout(function () { form.reset(); budgets(); }, 0);
    }
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    var sync = document.getElementById("sync");
    if (!sync) { return; }
    if (Date.now() >= patientUntil) { attempts = 0; }  // a connection that answers: start afresh
    var seq = parseInt(sync.getAttribute("data-seq") || "", 10);
    if (!isNaN(seq)) { lastSeq = seq; }
    var acks = (sync.getAttribute("data-ack") || "").split(" ").filter(Boolean);
    var refused = (sync.getAttribute("data-refused") || "").split(" ").filter(Boolean);
    // Consumed: the next frame brings its own.
    sync.removeAttribute("data-ack"); sync.removeAttribute("data-refused");
    if ((acks.length && !refused.length) || (wasClosed && !closed())) { clearRefusals(); }
    acks.forEach(function (op) { settle(op, "saved"); });
    refused.forEach(function (op) { settle(op, "refused"); });
  });
  var wasClosed = false;
  document.addEventListener("htmx:wsBeforeMessage", function () { wasClosed = closed(); });

  // A frame may replace a form someone is filling in: the board is re-rendered when the facilitator
  // renames it or changes its phase, and in full after a reconnection on weak wifi. What they had
  // typed or chosen, and where the cursor was, is carried into the new form.
  var drafts = [];
  function formKey(form) {
    // What a form does is in its hidden fields (type, board, card...), the same in the new render.
    var parts = [form.getAttribute("data-label") || ""];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=hidden]"), function (h) {
      if (h.name !== "op") { parts.push(h.name + "=" + h.value); }
    });
    return parts.join("&");
  }
  function edited(el) {
    if (!el.name || /^(hidden|submit|button|reset|file)$/.test(el.type)) { return false; }
    if (el.type === "radio" || el.type === "checkbox") { return el.checked !== el.defaultChecked; }
    if (el.tagName === "SELECT") { return !sameAsDefault(el, selectedValues(el)); }
    return el.value !== el.defaultValue;
  }
  function selectedValues(select) {
    return Array.prototype.filter.call(select.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
  }
  function sameAsDefault(select, values) {
    // A single select with no option marked selected shows its first one.
    var marked = Array.prototype.filter.call(select.options, function (o) { return o.defaultSelected; });
    if (!marked.length && !select.multiple && select.options.length) { marked = [select.options[0]]; }
    var defaults = marked.map(function (o) { return o.value; });
    return defaults.length === values.length && defaults.every(function (v) { return values.indexOf(v) >= 0; });
  }
  // Fields sharing a name (the 100-point allocation repeats "points") are told apart by their rank.
  function namesakes(form, name) {
    return Array.prototype.filter.call(form.elements, function (e) { return e.name === name; });
  }
  function matching(form, field) {
    var same = namesakes(form, field.name);
    if (field.type === "radio" || field.type === "checkbox") {
      return same.filter(function (e) { return e.value === field.value; })[0];
    }
    return same[field.rank || 0];
  }
  function fieldOf(el) {
    var field = { el: el, name: el.name, type: el.type, value: el.value, checked: el.checked,
                  focused: el === document.activeElement, rank: el.form ? namesakes(el.form, el.name).indexOf(el) : 0 };
    if (el.tagName === "SELECT") { field.values = selectedValues(el); }
    try { field.start = el.selectionStart; field.end = el.selectionEnd; } catch (err) { field.start = null; }
    return field;
  }
  function fill(form, fields) {
    fields.forEach(function (field) {
      var el = matching(form, field);
      if (!el) { return; }
      if (field.type === "radio" || field.type === "checkbox") { el.checked = field.checked; }
      else if (field.values) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = field.values.indexOf(o.value) >= 0; });
      } else { el.value = field.value; }
    });
  }
  function keepDrafts() {
    drafts = [];
    Array.prototype.forEach.call(document.forms, function (form) {
      var fields = Array.prototype.filter.call(form.elements, edited);
      if (!fields.length) { return; }
      var details = form.closest("details");
      drafts.push({ form: form, key: formKey(form), open: !!(details && details.open),
        fields: fields.map(fieldOf) });
    });
  }
  function restoreDraft(draft, taken) {
    // The whole form was replaced, or only part of it (a list of choices that changed).
    var replaced = !draft.form.isConnected;
    var form = !replaced ? draft.form : Array.prototype.filter.call(document.forms, function (f) {
      return taken.indexOf(f) < 0 && formKey(f) === draft.key;
    })[0];
    if (!form) {
      // The form is gone (contributions closed, phase over, item deleted): should it come back,
      // what was typed in it comes back too.
      if (draft.form.hasAttribute("data-reset")) { orphans[draft.key] = draft; }
      return;
    }
    if (replaced) { taken.push(form); }
    var lost = draft.fields.filter(function (field) { return !field.el.isConnected; });
    // A field the new render already shows as it was typed (an edit just saved) is no draft.
    var changes = lost.map(function (field) {
      var el = matching(form, field);
      if (!el) { return null; }
      if (field.type === "radio" || field.type === "checkbox") { return el.defaultChecked !== field.checked ? [el, field] : null; }
      if (field.values) { return sameAsDefault(el, field.values) ? null : [el, field]; }
      return el.defaultValue !== field.value ? [el, field] : null;
    }).filter(Boolean);
    if (!changes.length) { return; }
    if (replaced && draft.open && form.closest("details")) { form.closest("details").open = true; }
    changes.forEach(function (change) {
      var el = change[0], field = change[1];
      // What someone filled in was open in front of them: keep it open.
      for (var d = el.closest("details"); d && form.contains(d); d = d.parentElement && d.parentElement.closest("details")) {
        d.open = true;
      }
      if (field.type === "radio" || field.type === "checkbox") { el.checked = field.checked; }
      else if (field.values) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = field.values.indexOf(o.value) >= 0; });
      } else { el.value = field.value; }
      if (field.focused) {
        el.focus({ preventScroll: true });
        if (field.start !== null && el.setSelectionRange) {
          try { el.setSelectionRange(field.start, field.end); } catch (err) { /* not a text field */ }
        }
      }
    });
  }
  var orphans = {};                                 // form key -> draft of a form that went away
  document.addEventListener("htmx:wsBeforeMessage", keepDrafts);
  document.addEventListener("htmx:wsAfterMessage", function () {
    var taken = [];
    drafts.forEach(function (draft) { restoreDraft(draft, taken); });
    drafts = [];                                     // and the elements they held
    Object.keys(orphans).forEach(function (key) {
      var form = Array.prototype.filter.call(document.forms, function (f) { return formKey(f) === key; })[0];
      if (!form) { return; }
      var draft = orphans[key];
      delete orphans[key];
      if (!Array.prototype.some.call(form.elements, edited)) { fill(form, draft.fields); }
    });
    applyClosed();
    budgets();
  });

  // A frame that re-renders the control someone is on (a phase button, a vote) would drop their
  // focus to the top of the page: a keyboard or screen reader user would start over each time.
  // The same control of the same form in the new render takes the focus back.
  var focusKept = null;
  document.addEventListener("htmx:wsBeforeMessage", function () {
    var el = document.activeElement;
    var form = el && el.form;
    focusKept = null;
    if (form && form.hasAttribute("ws-send")) {
      focusKept = { el: el, key: formKey(form), index: Array.prototype.indexOf.call(form.elements, el) };
    }
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    var kept = focusKept;
    focusKept = null;
    if (!kept || kept.el.isConnected || (document.activeElement && document.activeElement !== body)) { return; }
    var form = Array.prototype.filter.call(document.forms, function (f) { return formKey(f) === kept.key; })[0];
    var el = form && form.elements[kept.index];
    if (el && !el.disabled) { el.focus({ preventScroll: true }); }
  });

  // A count in a status region (points left to place) comes as the whole element again; swapped
  // whole it would be a new node, which screen readers do not announce. The element on the page
  // takes the new one's attributes and content instead, and stays the region that is heard.
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var target = e.detail.target, fragment = e.detail.fragment;
    var fresh = fragment && fragment.firstElementChild;
    if (!target || !fresh || target.getAttribute("role") !== "status" || fresh.id !== target.id ||
        fresh.tagName !== target.tagName) { return; }
    Array.prototype.slice.call(target.attributes).forEach(function (a) {
      if (!fresh.hasAttribute(a.name)) { target.removeAttribute(a.name); }
    });
    Array.prototype.forEach.call(fresh.attributes, function (a) { target.setAttribute(a.name, a.value); });
    target.innerHTML = fresh.innerHTML;
    e.detail.shouldSwap = false;
  });

  // When the facilitator shows another board, a phone (or the projector) starts reading it from the
  // top, not wherever the last board had been scrolled to; the console stays where its hands are.
  function boardShown() { var stage = document.getElementById("stage"); return stage && stage.getAttribute("data-board"); }
  var shown = boardShown();
  document.addEventListener("htmx:wsAfterMessage", function () {
    var now = boardShown();
    if (now !== shown && !body.classList.contains("view-facilitator")) { window.scrollTo(0, 0); }
    shown = now;
  });

  // An action with no answer is sent again with the same operation id: the server applies it once.
  setInterval(function () {
    if (!socket || body.classList.contains("offline")) { return; }
    var now = Date.now();
    Object.keys(pending).forEach(function (op) {
      var item = pending[op];
      if (item.state === "pending" && now - item.sentAt > RETRY_AFTER) {
        item.sentAt = now;
        socket.send(item.body);
      }
    });
  }, 2000);

  // A 100-point allocation: the counter follows what is typed, before it is saved.
  function budgets() {
    Array.prototype.forEach.call(document.querySelectorAll("form.ind-points"), function (form) {
      var counter = form.querySelector(".ind-left[data-typed]");
      if (!counter) { return; }
      var total = 0;
      Array.prototype.forEach.call(form.querySelectorAll("input[name=points]"), function (input) {
        var n = Number(input.value);
        if (input.value !== "" && isFinite(n)) { total += n; }
      });
      var budget = parseInt(counter.getAttribute("data-budget") || "100", 10);
      var over = total > budget;
      counter.classList.toggle("over", over);
      counter.textContent = (over ? counter.getAttribute("data-over") : counter.getAttribute("data-typed"))
        .replace("{spent}", String(total)).replace("{extra}", String(total - budget));
    });
  }
  document.addEventListener("input", function (e) {
    if (e.target.closest && e.target.closest("form.ind-points")) { budgets(); }
  });
  budgets();
  applyClosed();
  drawOutbox();

  // The countdown runs on each screen from the seconds left the server sent; no frame per second.
  var timerEnd = null;
  function readTimer() {
    var timer = document.getElementById("timer");
    if (!timer) { return; }
    var left = parseInt(timer.getAttribute("data-left") || "0", 10);
    timerEnd = timer.getAttribute("data-running") === "true" ? Date.now() + left * 1000 : null;
  }
  function tick() {
    var clock = document.querySelector("#timer .clock");
    if (!clock || timerEnd === null) { return; }
    var left = Math.max(0, Math.round((timerEnd - Date.now()) / 1000));
    clock.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
  }
  readTimer();
  document.addEventListener("htmx:wsAfterMessage", readTimer);
  setInterval(tick, 1000);

  // The projector page offers full screen (a click is required by browsers).
  if (body.classList.contains("view-screen") && document.documentElement.requestFullscreen) {
    var full = document.createElement("button");
    full.type = "button"; full.className = "small fullscreen";
    full.textContent = body.getAttribute("data-t-fullscreen") || "⛶";
    full.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); } else { document.documentElement.requestFullscreen(); }
    });
    body.appendChild(full);
  }

  window.maillage = { pending: pending, lastSeq: function () { return lastSeq; } };
})();
