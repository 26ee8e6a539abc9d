/* The macro picker of the ticket page: "m" (or the button) opens it, the list is fetched
   then (rendered for this ticket by the server), typing filters, arrows choose, Enter
   inserts the reply into the reply box at the cursor and remembers the macro in the form:
   its status, priority, team and tags apply when the reply is sent, in one transaction. */
(function () {
  "use strict";
  function setup() {
    var root = document.querySelector(".macro-picker");
    var dialog = document.getElementById("macro-dialog");
    var reply = document.getElementById("reply_body");
    if (!root || !dialog || !reply) return;
    var list = document.getElementById("macro-list");
    var filter = document.getElementById("macro-filter");
    var hidden = document.getElementById("reply_macro");
    var chosen = document.getElementById("macro-chosen");
    var loaded = false;

    function options() {
      return Array.prototype.filter.call(list.querySelectorAll("[data-macro]"), function (li) {
        return !li.hidden;
      });
    }
    function select(li) {
      list.querySelectorAll("[aria-selected=true]").forEach(function (el) {
        el.setAttribute("aria-selected", "false");
      });
      if (!li) return;
      li.setAttribute("aria-selected", "true");
      li.scrollIntoView({ block: "nearest" });
      filter.setAttribute("aria-activedescendant", li.id);
    }
    function load() {
      if (loaded) return Promise.resolve();
      return fetch(root.dataset.url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { list.innerHTML = html; loaded = true; });
    }
    function open() {
      if (!dialog.open) dialog.showModal();
      filter.value = "";
      load().then(function () { apply(""); filter.focus(); }).catch(function () {
        list.textContent = root.dataset.textFailed;
      });
    }
    function apply(text) {
      var needle = text.toLowerCase();
      list.querySelectorAll("[data-macro]").forEach(function (li) {
        var hay = (li.dataset.name + " " + li.dataset.body).toLowerCase();
        li.hidden = needle !== "" && hay.indexOf(needle) === -1;
      });
      select(options()[0]);
    }
    function insert(li) {
      var body = li.dataset.body;
      var start = reply.selectionStart || 0, end = reply.selectionEnd || 0;
      var before = reply.value.slice(0, start), after = reply.value.slice(end);
      var pad = before && !/\n$/.test(before) ? "\n\n" : "";
      reply.value = before + pad + body + after;
      hidden.value = li.dataset.macro;
      var text = root.dataset.textInserted.replace("{name}", li.dataset.name);
      if (li.dataset.changes) text += " " + root.dataset.textSets.replace("{changes}", li.dataset.changes);
      chosen.querySelector("span").textContent = text;
      chosen.hidden = false;
      dialog.close();
      reply.focus();
      reply.selectionStart = reply.selectionEnd = (before + pad + body).length;
      reply.dispatchEvent(new Event("input"));  // presence: the agent is replying
    }

    document.getElementById("macro-open").addEventListener("click", open);
    document.getElementById("macro-close").addEventListener("click", function () { dialog.close(); });
    document.getElementById("macro-clear").addEventListener("click", function () {
      hidden.value = "";
      chosen.hidden = true;
    });
    filter.addEventListener("input", function () { apply(filter.value); });
    filter.addEventListener("keydown", function (e) {
      var items = options(), current = list.querySelector("[aria-selected=true]");
      var index = items.indexOf(current);
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        var next = e.key === "ArrowDown" ? index + 1 : index - 1;
        if (items.length) select(items[(next + items.length) % items.length]);
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (current && !current.hidden) insert(current);
      }
    });
    list.addEventListener("click", function (e) {
      var li = e.target.closest ? e.target.closest("[data-macro]") : null;
      if (li) insert(li);
    });
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || e.key !== "m" || dialog.open) return;
      var t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      e.preventDefault();
      open();
    });
  }
  document.addEventListener("DOMContentLoaded", setup);
})();
