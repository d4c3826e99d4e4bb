// Reading help on a phone: large text, kept on this device, and read-aloud by the browser's own
// speech synthesis. Nothing here talks to the network: the voice is the phone's.
(function () {
  "use strict";
  var root = document.documentElement;
  var KEY = "maillage.largeText";
  function stored() {
    try { return localStorage.getItem(KEY) === "1"; } catch (err) { return false; }
  }
  // Before the first paint (this file is loaded without defer): no jump from small to large.
  root.classList.toggle("large-text", stored());

  // The page's language ("fr", "en"; a variant such as "fr-x-falc" is read by a French voice).
  function language() { return (root.getAttribute("lang") || "fr").split(/[-_]/)[0].toLowerCase(); }
  function voiceFor(lang) {
    if (!("speechSynthesis" in window) || typeof SpeechSynthesisUtterance === "undefined") { return null; }
    var voices = window.speechSynthesis.getVoices() || [];
    var same = voices.filter(function (v) { return (v.lang || "").toLowerCase().split(/[-_]/)[0] === lang; });
    // A voice on the phone itself first: a "remote" one would send the text away.
    var local = same.filter(function (v) { return v.localService; });
    return local[0] || null;
  }

  // Texts a participant may have read aloud: a board's instructions, then each card's text.
  var CARD_TEXT = ".note .text, .lv-card .lv-text, .dg-item .dg-text, .am-statement .am-text, .sy-factor .sy-text";

  function speak(text) {
    var lang = language();
    var voice = voiceFor(lang);
    if (!voice || !text) { return; }
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = root.getAttribute("lang") || lang;
    try { utterance.voice = voice; } catch (err) { /* not a voice object: the language still picks one */ }
    window.speechSynthesis.cancel();   // one reading at a time: a second tap starts over
    window.speechSynthesis.speak(utterance);
  }

  function textOf(button) {
    var target = button.getAttribute("data-speak-target");
    if (target) {
      var el = document.getElementById(target);
      return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
    }
    var card = button.previousElementSibling;
    return card ? card.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function decorate() {
    var body = document.body;
    if (!body) { return; }
    var can = !!voiceFor(language());
    root.classList.toggle("can-speak", can);
    var template = document.getElementById("speak-card");
    if (!can || !template || !body.classList.contains("view-participant")) { return; }
    Array.prototype.forEach.call(document.querySelectorAll(CARD_TEXT), function (text) {
      var next = text.nextElementSibling;
      if (next && next.classList.contains("speak")) { return; }
      text.insertAdjacentElement("afterend", template.content.firstElementChild.cloneNode(true));
    });
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button.speak");
    if (button) { e.preventDefault(); speak(textOf(button)); return; }
    var toggle = e.target.closest && e.target.closest("button.large-text-toggle");
    if (toggle) {
      var on = !root.classList.contains("large-text");
      root.classList.toggle("large-text", on);
      try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (err) { /* private mode: this page only */ }
      Array.prototype.forEach.call(document.querySelectorAll("button.large-text-toggle"), function (b) {
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
    }
  });

  function ready() {
    Array.prototype.forEach.call(document.querySelectorAll("button.large-text-toggle"), function (b) {
      b.setAttribute("aria-pressed", root.classList.contains("large-text") ? "true" : "false");
    });
    decorate();
    if ("speechSynthesis" in window && window.speechSynthesis.addEventListener) {
      // Voices arrive late on most browsers.
      window.speechSynthesis.addEventListener("voiceschanged", decorate);
    }
    // Live changes replace cards and instructions: give the new ones their button.
    document.body.addEventListener("htmx:afterSettle", decorate);
    document.body.addEventListener("htmx:wsAfterMessage", decorate);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
  window.maillageSpeak = { decorate: decorate };
}());
