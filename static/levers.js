// The facilitator's page, group phase: a card dragged onto a cluster (mouse, pen or finger: pointer
// events) is put there. The drop fills the card's own "Ranger" form and submits it, so the move
// travels like any other action (operation id, retry, refusal shown) and the select stays the way
// to do it without dragging.
(function () {
  "use strict";
  if (!document.body.classList.contains("view-facilitator")) { return; }
  var THRESHOLD = 8;          // px before a press becomes a drag: a tap on a control stays a tap
  var drag = null;

  function groupAt(x, y) {
    var el = document.elementFromPoint(x, y);
    return el && el.closest(".lv-gathered .lv-group");
  }
  function mark(group) {
    if (drag.over === group) { return; }
    if (drag.over) { drag.over.classList.remove("lv-drop"); }
    drag.over = group;
    if (group) { group.classList.add("lv-drop"); }
  }
  function end(drop) {
    if (!drag) { return; }
    var card = drag.card, group = drag.over, moved = drag.moved;
    card.classList.remove("lv-dragging");
    card.style.transform = "";
    card.style.pointerEvents = "";
    if (group) { group.classList.remove("lv-drop"); }
    drag = null;
    if (!drop || !moved || !group) { return; }
    var cluster = group.getAttribute("data-cluster") || "";
    var select = card.querySelector("select[name=cluster]");
    if (!select || card.closest(".lv-group") === group) { return; }
    select.value = cluster;
    var form = select.form;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.dispatchEvent(new Event("submit", { cancelable: true, bubbles: true })); }
  }

  document.addEventListener("pointerdown", function (e) {
    if (e.button !== 0 || drag) { return; }
    var card = e.target.closest(".lv-gathered .lv-card");
    if (!card || e.target.closest("button, select, input, textarea, summary, a, label, details[open]")) { return; }
    drag = { card: card, id: e.pointerId, x: e.clientX, y: e.clientY, moved: false, over: null };
  });
  document.addEventListener("pointermove", function (e) {
    if (!drag || e.pointerId !== drag.id) { return; }
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved) {
      if (Math.abs(dx) < THRESHOLD && Math.abs(dy) < THRESHOLD) { return; }
      drag.moved = true;
      drag.card.classList.add("lv-dragging");
      // The card under the pointer would hide the cluster it is over.
      drag.card.style.pointerEvents = "none";
    }
    e.preventDefault();
    drag.card.style.transform = "translate(" + dx + "px, " + dy + "px)";
    mark(groupAt(e.clientX, e.clientY));
  });
  document.addEventListener("pointerup", function (e) { if (drag && e.pointerId === drag.id) { end(true); } });
  document.addEventListener("pointercancel", function (e) { if (drag && e.pointerId === drag.id) { end(false); } });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { end(false); } });
  // A frame that replaces the field mid-drag takes the card away: the drag ends there.
  document.addEventListener("htmx:wsAfterMessage", function () { if (drag && !drag.card.isConnected) { drag = null; } });
})();
