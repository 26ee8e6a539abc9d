/* The chat frame (/chat/frame/<channel>/): the visitor's side of a live chat. Same origin as
   the API and the socket; the visitor token lives in this origin's localStorage, so the
   conversation survives page loads on the shop's site. */
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("widget-boot").textContent);
  var S = boot.strings, config = boot.config;
  var KEY = "helpdesk-chat:" + boot.channel;
  var $ = function (id) { return document.getElementById(id); };
  var list = $("chat-messages"), text = $("chat-text"), typingNote = $("chat-typing");
  var state = { token: null, visitor: {}, conversation: false, seen: {}, socket: null,
                retry: 0, typedAt: 0, typingTimer: null, pingTimer: null };

  function store(token) {
    state.token = token;
    try { localStorage.setItem(KEY, token); } catch (e) { /* private mode: this page only */ }
  }
  function stored() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function notice(message) { $("chat-notice").textContent = message || ""; }
  function parent(message) { window.parent.postMessage(Object.assign({ source: "helpdesk-chat" }, message), "*"); }

  function api(path, options) {
    options = options || {};
    var headers = { "Accept": "application/json" };
    if (state.token) headers["X-Chat-Token"] = state.token;
    if (options.json !== undefined) headers["Content-Type"] = "application/json";
    return fetch("/chat/api/" + path + (path.indexOf("?") < 0 ? "?" : "&") + "lang=" + boot.lang, {
      method: options.method || "GET", headers: headers, credentials: "omit",
      body: options.json !== undefined ? JSON.stringify(options.json) : options.body
    }).then(function (response) {
      if (response.status === 204) return {};
      return response.json().then(function (body) {
        if (!response.ok) { var error = new Error("http"); error.status = response.status; error.body = body; throw error; }
        return body;
      });
    });
  }
  function problem(error) {
    var fields = error && error.body && error.body.error && error.body.error.fields;
    if (fields && fields.length) return fields.map(function (f) { return f.message; }).join(" ");
    return (error && error.body && error.body.error && error.body.error.message) || S.error;
  }

  function adopt(body) {
    if (body.token) store(body.token);
    if (body.visitor) state.visitor = body.visitor;
    // A new conversation (the last one went idle) is a new group: reconnect to it.
    if (body.conversation && body.conversation !== state.conversation) {
      state.conversation = body.conversation; $("chat-transcript").hidden = false; connect();
    }
  }

  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function show(message) {
    if (state.seen[message.id]) return;
    state.seen[message.id] = true;
    var item = document.createElement("li");
    item.className = "msg " + message.author;
    item.setAttribute("data-message", message.id);
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = message.author === "visitor" ? S.you : (message.name || S.agent);
    item.appendChild(who);
    var body = document.createElement("span");
    body.dir = "auto";  // a Persian site, an English message (or the other way round)
    body.textContent = message.body;
    item.appendChild(body);
    (message.attachments || []).forEach(function (file) {
      // A link when the server signed one (widget/files.py), else the name alone.
      var f = document.createElement(file.url ? "a" : "span");
      f.className = "file";
      f.textContent = file.filename + (file.size ? " (" + sizeText(file.size) + ")" : "");
      if (file.url) { f.href = file.url; f.setAttribute("download", file.filename); }
      item.appendChild(f);
    });
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    $("chat-suggestions").hidden = true;
    if (message.author === "agent") { typingNote.hidden = true; parent({ type: "unread" }); }
  }

  function connect() {
    if (!state.token || !state.conversation) return;
    if (state.socket && state.socket.readyState <= 1) state.socket.close();
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/chat/?token=" + encodeURIComponent(state.token));
    state.socket = socket;
    socket.onopen = function () {
      if (state.retry) { notice(""); history(); }  // catch up with what came while away
      state.retry = 0;
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(function () { send({ type: "ping" }); }, 20000);
    };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "message") show(data.message);
      else if (data.type === "typing" && data.from === "agent") {
        typingNote.hidden = false;
        clearTimeout(state.typingTimer);
        state.typingTimer = setTimeout(function () { typingNote.hidden = true; }, 4000);
      }
    };
    socket.onclose = function (event) {
      clearInterval(state.pingTimer);
      if (socket !== state.socket || event.code === 4403) return;
      state.retry = Math.min(state.retry + 1, 6);
      notice(S.reconnecting);
      setTimeout(connect, 500 * Math.pow(2, state.retry - 1));
    };
  }
  function send(data) {
    if (state.socket && state.socket.readyState === 1) { state.socket.send(JSON.stringify(data)); return true; }
    return false;
  }

  function history() {
    return api("history/").then(function (body) { body.messages.forEach(show); });
  }

  function needs() {
    var p = config.prechat, v = state.visitor;
    return {
      name: p.name === "required" && !v.name,
      email: (p.email === "required" || !config.agents_available) && !v.email,
      ask: (p.name !== "off" && !v.name) || (p.email !== "off" && !v.email) || (!config.agents_available && !v.email)
    };
  }
  function prechat() {
    var need = needs(), p = config.prechat, form = $("chat-prechat");
    if (!need.ask || state.conversation && !need.name && !need.email) { form.hidden = true; return false; }
    $("prechat-name-row").hidden = p.name === "off";
    $("prechat-email-row").hidden = p.email === "off" && config.agents_available;
    $("prechat-name-hint").textContent = "(" + (need.name ? S.required : S.optional) + ")";
    $("prechat-email-hint").textContent = "(" + (need.email ? S.required : S.optional) + ")";
    $("prechat-name").required = need.name; $("prechat-email").required = need.email;
    form.hidden = false;
    $("chat-composer").hidden = true;
    return true;
  }
  $("chat-prechat").addEventListener("submit", function (event) {
    event.preventDefault();
    var name = $("prechat-name").value.trim(), email = $("prechat-email").value.trim();
    var need = needs();
    if ((need.name && !name) || (need.email && !email)) { $("prechat-error").textContent = S.error; return; }
    api("session/", { method: "POST", json: { channel: boot.channel, token: state.token, name: name, email: email } })
      .then(function (body) {
        adopt(body); $("chat-prechat").hidden = true; $("chat-composer").hidden = false;
        $("transcript-email").value = state.visitor.email || ""; text.focus();
      })
      .catch(function (error) { $("prechat-error").textContent = problem(error); });
  });

  function deliver(promise) {
    $("chat-send").disabled = true;
    return promise.then(function (body) { adopt(body); if (body.message) show(body.message); notice(""); })
      .catch(function (error) { notice(problem(error)); if (error.status === 400 && error.body.error.fields) prechat(); })
      .then(function () { $("chat-send").disabled = false; });
  }
  $("chat-composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = text.value.trim();
    if (!body) return;
    text.value = "";
    deliver(api("messages/", { method: "POST", json: { text: body, client_id: uid() } }));
  });
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("chat-composer").requestSubmit(); }
  });
  $("chat-file").addEventListener("change", function () {
    var file = this.files[0];
    if (!file) return;
    var form = new FormData();
    form.append("file", file); form.append("client_id", uid());
    deliver(api("upload/", { method: "POST", body: form }));
    this.value = "";
  });

  var suggestTimer = null;
  text.addEventListener("input", function () {
    var now = Date.now();
    if (state.conversation && now - state.typedAt > 2000) {  // one typing signal per 2 s
      state.typedAt = now;
      if (!send({ type: "typing" })) api("typing/", { method: "POST", json: {} }).catch(function () {});
    }
    if (!config.suggestions || list.children.length) return;
    clearTimeout(suggestTimer);
    var query = text.value;
    suggestTimer = setTimeout(function () { suggest(query); }, 300);
  });
  function suggest(query) {
    if (query.trim().length < 3) { $("chat-suggestions").hidden = true; return; }
    api("suggest/?q=" + encodeURIComponent(query)).then(function (body) {
      var box = $("chat-suggestions"), ul = box.querySelector("ul");
      ul.textContent = "";
      body.articles.forEach(function (article) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = article.url; a.target = "_blank"; a.rel = "noopener"; a.textContent = article.title;
        li.appendChild(a); ul.appendChild(li);
      });
      box.hidden = !body.articles.length || list.children.length > 0;
    }).catch(function () {});
  }

  $("chat-transcript").addEventListener("submit", function (event) {
    event.preventDefault();
    var email = $("transcript-email").value.trim();
    api("transcript/", { method: "POST", json: { email: email } })
      .then(function (body) { notice(S.transcript_sent.replace("%(email)s", body.to)); })
      .catch(function (error) { notice(problem(error)); });
  });

  function close() { parent({ type: "close" }); }
  $("chat-close").addEventListener("click", close);
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
  window.addEventListener("message", function (event) {
    if (event.data && event.data.source === "helpdesk-chat-host" && event.data.type === "open") {
      ($("chat-prechat").hidden ? text : $("chat-prechat").querySelector("input:not([hidden])") || text).focus();
    }
  });

  function render() {
    var status = $("chat-status");
    status.textContent = config.agents_available ? S.online : (config.offline_message || S.offline);
    status.className = "status" + (config.agents_available ? " online" : "");
    if (config.greeting) { $("chat-greeting").textContent = config.greeting; $("chat-greeting").hidden = false; }
    $("transcript-email").value = state.visitor.email || "";
    prechat();
  }
  function start(token) {
    return api("session/", { method: "POST", json: { channel: boot.channel, token: token || "" } })
      .then(function (body) {
        config = body.config; adopt(body); render();
        if (body.conversation) history();
        parent({ type: "ready", color: config.color, textColor: config.text_color, label: S.title });
      })
      .catch(function (error) {
        if (error.status === 403 && token) { try { localStorage.removeItem(KEY); } catch (e) {} return start(""); }
        notice(problem(error));
      });
  }
  start(stored());
})();
