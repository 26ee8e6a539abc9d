/* The desk's live parts: SLA countdowns, presence heartbeats, keyboard shortcuts.
   The queue's polling is htmx (hx-trigger="every 15s" on the rows). Everything else works
   without JavaScript. */
(function () {
  "use strict";
  // "overdue %(time)s" in the agent's language (base.html writes it on <html>).
  var overdueText = document.documentElement.dataset.overdue || "overdue %(time)s";
  function overdue(text) { return overdueText.replace("%(time)s", text); }
  function format(seconds) {
    var abs = Math.round(Math.abs(seconds));
    if (abs < 3600) {  // the last hour counts seconds
      var s = abs % 60;
      var short = Math.floor(abs / 60) + "m " + (s < 10 ? "0" : "") + s + "s";
      return seconds < 0 ? overdue(short) : short;
    }
    var total = Math.round(abs / 60);
    var hours = Math.floor(total / 60), mins = total % 60;
    var days = Math.floor(hours / 24); hours = hours % 24;
    var text = days ? days + "d " + hours + "h"
      : hours ? hours + "h " + (mins < 10 ? "0" : "") + mins + "m" : mins + "m";
    return seconds < 0 ? overdue(text) : text;
  }

  // Each countdown carries the server's remaining business seconds at render time, whether
  // business time is passing now (data-ticking), and the warn and due instants: the colour
  // follows the instants, the text counts down while the clock ticks.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      if (!el.dataset.renderedAt) el.dataset.renderedAt = String(now);
      var remaining = parseFloat(el.dataset.remaining);
      if (isNaN(remaining)) return;
      el.textContent = format(remaining);
      if (el.dataset.ticking !== "1") return;  // paused or outside business hours
      remaining -= (now - parseFloat(el.dataset.renderedAt)) / 1000;
      var due = Date.parse(el.dataset.due), warn = Date.parse(el.dataset.warn);
      var breached = remaining < 0 || now >= due;
      var warning = !breached && now >= warn;
      el.classList.toggle("sla-breached", breached);
      el.classList.toggle("sla-warning", warning);
      el.classList.toggle("sla-running", !breached && !warning);
      el.textContent = format(remaining);
    });
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Presence: a heartbeat every 10 s says "viewing" or "replying" (typing in the reply box
  // in the last 30 s); the answer lists the others on this ticket.
  function presence() {
    var box = document.getElementById("presence");
    if (!box) return;
    var lastTyped = 0;
    var reply = document.getElementById("reply_body");
    if (reply) reply.addEventListener("input", function () { lastTyped = Date.now(); });
    function beat() {
      var state = Date.now() - lastTyped < 30000 ? "replying" : "viewing";
      var body = new URLSearchParams({ state: state });
      fetch(box.dataset.url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data) return;
        box.textContent = "";
        if (!data.others.length) return;
        box.appendChild(document.createTextNode("Also here: "));
        data.others.forEach(function (p, i) {
          var span = document.createElement("span");
          span.className = "who-" + p.state;
          span.textContent = p.name + " (" + p.state + ")";
          if (i) box.appendChild(document.createTextNode(", "));
          box.appendChild(span);
        });
      }).catch(function () {});
    }
    beat();
    setInterval(beat, 10000);
  }

  // r: focus the reply box; n: get the next ticket; /: focus the search box. Not while
  // typing in a field.
  function shortcuts() {
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      if (e.key === "r") {
        var reply = document.getElementById("reply_body");
        if (reply) { e.preventDefault(); reply.focus(); }
      } else if (e.key === "n") {
        var form = document.getElementById("next-ticket-form");
        if (form) { e.preventDefault(); form.submit(); }
      } else if (e.key === "/") {
        var box = document.getElementById("desk-search");
        if (box) { e.preventDefault(); box.focus(); box.select(); }
      }
    });
  }

  // "Suggested articles": one click puts "title: url" into the reply box at the cursor.
  function articleLinks() {
    document.addEventListener("click", function (e) {
      var button = e.target.closest ? e.target.closest(".insert-article") : null;
      var reply = document.getElementById("reply_body");
      if (!button || !reply) return;
      var text = button.dataset.title + ": " + button.dataset.url;
      var start = reply.selectionStart || 0, end = reply.selectionEnd || 0;
      var before = reply.value.slice(0, start), after = reply.value.slice(end);
      var pad = before && !/\s$/.test(before) ? "\n" : "";
      reply.value = before + pad + text + after;
      reply.focus();
      reply.selectionStart = reply.selectionEnd = (before + pad + text).length;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    articleLinks();
    tick();
    setInterval(tick, 1000);
    presence();
    shortcuts();
  });
})();
