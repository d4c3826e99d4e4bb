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
