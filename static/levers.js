// Brakes and levers: some changes re-render the whole stage once for a whole view (a lock, a board
// added to the agenda), so it arrives without what belongs to this reader only: their private
// cards while writing, their dots while voting. Such regions carry data-lv-stale; when one shows
// up, ask the server for this page's own rendering (a hello with an unknown sequence number).
(function () {
  "use strict";
  var socket = null;
  var askedAt = 0;
  var later = null;
  var PAUSE = 2000;

  function heal() {
    later = null;
    if (!socket || !document.querySelector("[data-lv-stale]")) { return; }
    var wait = askedAt + PAUSE - Date.now();
    if (wait > 0) { later = setTimeout(heal, wait); return; }
    askedAt = Date.now();
    socket.sendImmediately(JSON.stringify({ type: "hello", last_seq: -1 }));
  }

  document.addEventListener("htmx:wsOpen", function (e) { socket = e.detail.socketWrapper; });
  document.addEventListener("htmx:wsClose", function () { socket = null; });
  document.addEventListener("htmx:wsAfterMessage", function () { if (!later) { heal(); } });
})();
