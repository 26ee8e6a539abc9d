/* Helpdesk chat loader: <script src="https://HOST/chat/widget.js" data-channel="ID" async></script>
   Adds a launcher button and the chat frame (served by HOST, so its API and socket are
   same-origin there). Optional: data-lang="ru", data-position="left". */
(function (d, w) {
  var s = d.currentScript, ch = s && s.getAttribute("data-channel");
  if (!ch || d.getElementById("hd-chat-launcher")) return;
  var host = new URL(s.src).origin, left = s.getAttribute("data-position") === "left";
  var lang = s.getAttribute("data-lang") || d.documentElement.lang || navigator.language || "en";
  var side = left ? "left:20px;" : "right:20px;", open = false;
  var b = d.createElement("button"), f = d.createElement("iframe"), dot = d.createElement("span");
  b.id = "hd-chat-launcher";
  b.type = "button";
  b.setAttribute("aria-label", "Chat");
  b.setAttribute("aria-expanded", "false");
  b.setAttribute("aria-controls", "hd-chat-frame");
  b.style.cssText = "position:fixed;bottom:20px;" + side + "z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;background:#1f6feb;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center";
  b.innerHTML = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 012 2v10a2 2 0 01-2 2H9l-5 4v-4H4a2 2 0 01-2-2V6a2 2 0 012-2z"/></svg>';
  dot.style.cssText = "position:absolute;top:4px;right:4px;width:12px;height:12px;border-radius:50%;background:#e5484d;border:2px solid #fff;display:none";
  b.appendChild(dot);
  f.id = "hd-chat-frame";
  f.title = "Chat";
  f.src = host + "/chat/frame/" + encodeURIComponent(ch) + "/?lang=" + encodeURIComponent(lang);
  f.style.cssText = "position:fixed;bottom:88px;" + side + "z-index:2147483000;width:370px;height:560px;max-width:calc(100vw - 24px);max-height:calc(100vh - 108px);border:0;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);background:#fff;display:none";
  function toggle(show) {
    open = show;
    f.style.display = show ? "block" : "none";
    b.setAttribute("aria-expanded", String(show));
    if (show) { dot.style.display = "none"; f.focus(); f.contentWindow.postMessage({ source: "helpdesk-chat-host", type: "open" }, host); }
    else b.focus();
  }
  b.addEventListener("click", function () { toggle(!open); });
  w.addEventListener("message", function (e) {
    var m = e.data;
    if (e.origin !== host || !m || m.source !== "helpdesk-chat") return;
    if (m.type === "ready") {
      b.style.background = m.color; b.style.color = m.textColor;
      b.setAttribute("aria-label", m.label); f.title = m.label;
    } else if (m.type === "close") toggle(false);
    else if (m.type === "unread" && !open) dot.style.display = "block";
  });
  function mount() { d.body.appendChild(f); d.body.appendChild(b); }
  if (d.body) mount(); else d.addEventListener("DOMContentLoaded", mount);
})(document, window);
