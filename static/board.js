// Live workshop client: connection state, operation ids, the outbox of pending actions,
// resync on reconnect. htmx and its websocket extension do the swapping.
(function () {
  "use strict";
  var body = document.body;
  var t = function (key) { return body.getAttribute("data-t-" + key) || key; };
  var lastSeq = parseInt(body.getAttribute("data-seq") || "0", 10);
  var socket = null;            // htmx-ext-ws public wrapper
  var pending = {};             // op -> {label, body, sentAt, state}
  var RETRY_AFTER = 8000;

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
    if (conn) { conn.textContent = online ? t("online") : t("offline"); conn.className = "conn " + (online ? "on" : "off"); }
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
        close.setAttribute("aria-label", "OK");
        close.addEventListener("click", function () { delete pending[op]; drawOutbox(); });
        p.appendChild(close);
      }
      box.appendChild(p);
    });
  }

  function settle(op, state) {
    var item = pending[op];
    if (!item) { return; }
    if (state === "saved") {
      item.state = "saved"; drawOutbox();
      setTimeout(function () { if (pending[op] && pending[op].state === "saved") { delete pending[op]; drawOutbox(); } }, 1500);
    } else { item.state = "refused"; drawOutbox(); }
  }

  var current = null;           // the WebSocket in use; htmx may drop one for a new one
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
  document.addEventListener("htmx:wsClose", function (e) { if (ofCurrent(e)) { setConn(false); } });
  document.addEventListener("htmx:wsError", function (e) { if (ofCurrent(e)) { setConn(false); } });
  // A phone that loses its network often keeps a connection that looks open for minutes: say it is
  // offline at once, and start a fresh connection as soon as the network is back.
  window.addEventListener("offline", function () { setConn(false); });
  window.addEventListener("online", function () {
    if (socket && current && current.readyState === WebSocket.OPEN) { socket.reconnect(); }
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
    pending[op] = { label: form.getAttribute("data-label") || "Action", body: e.detail.messageBody,
                    sentAt: Date.now(), state: "pending" };
    drawOutbox();
    if (form.hasAttribute("data-reset")) { setTimeout(function () { form.reset(); }, 0); }
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    var sync = document.getElementById("sync");
    if (!sync) { return; }
    var seq = parseInt(sync.getAttribute("data-seq") || "", 10);
    if (!isNaN(seq)) { lastSeq = seq; }
    (sync.getAttribute("data-ack") || "").split(" ").forEach(function (op) { if (op) { settle(op, "saved"); } });
    (sync.getAttribute("data-refused") || "").split(" ").forEach(function (op) { if (op) { settle(op, "refused"); } });
    // Consumed: the next frame brings its own.
    sync.removeAttribute("data-ack"); sync.removeAttribute("data-refused");
  });

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
  function keepDrafts() {
    drafts = [];
    Array.prototype.forEach.call(document.forms, function (form) {
      var fields = Array.prototype.filter.call(form.elements, edited);
      if (!fields.length) { return; }
      var details = form.closest("details");
      drafts.push({ form: form, key: formKey(form), open: !!(details && details.open),
        fields: fields.map(function (el) {
          var field = { el: el, name: el.name, type: el.type, value: el.value, checked: el.checked,
                        focused: el === document.activeElement };
          if (el.tagName === "SELECT") { field.values = selectedValues(el); }
          try { field.start = el.selectionStart; field.end = el.selectionEnd; } catch (err) { field.start = null; }
          return field;
        }) });
    });
  }
  function restoreDraft(draft, taken) {
    // The whole form was replaced, or only part of it (a list of choices that changed).
    var replaced = !draft.form.isConnected;
    var form = !replaced ? draft.form : Array.prototype.filter.call(document.forms, function (f) {
      return taken.indexOf(f) < 0 && formKey(f) === draft.key;
    })[0];
    if (!form) { return; }                           // the form is gone (phase over, item deleted)
    if (replaced) { taken.push(form); }
    var lost = draft.fields.filter(function (field) { return !field.el.isConnected; });
    // A field the new render already shows as it was typed (an edit just saved) is no draft.
    var changes = lost.map(function (field) {
      var el = Array.prototype.filter.call(form.elements, function (e) {
        return e.name === field.name && (field.type !== "radio" && field.type !== "checkbox" || e.value === field.value);
      })[0];
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
  document.addEventListener("htmx:wsBeforeMessage", keepDrafts);
  document.addEventListener("htmx:wsAfterMessage", function () {
    var taken = [];
    drafts.forEach(function (draft) { restoreDraft(draft, taken); });
    drafts = [];                                     // and the elements they held
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
