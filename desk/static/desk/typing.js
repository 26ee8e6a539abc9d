/* A chat ticket's reply box tells the visitor an agent is typing: at most one POST per 2 s,
   only while a public reply (not an internal note) is being written. */
(function () {
  "use strict";
  var script = document.currentScript, url = script && script.getAttribute("data-url");
  var form = document.getElementById("reply-form");
  if (!url || !form) return;
  var box = form.querySelector("textarea[name=body]"), sentAt = 0;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!box || !csrf) return;
  box.addEventListener("input", function () {
    var visibility = form.querySelector("input[name=visibility]:checked");
    if (visibility && visibility.value !== "public") return;
    var now = Date.now();
    if (now - sentAt < 2000) return;
    sentAt = now;
    fetch(url, { method: "POST", headers: { "X-CSRFToken": csrf.value }, credentials: "same-origin" })
      .catch(function () {});
  });
})();
