/* The desk in real time (README "Real time"): one WebSocket to /ws/desk/ per page.
   Ticket page (ol.conversation[data-live-ticket]): a "message" event fetches the messages
   after the last one shown (desk:ticket-messages) and appends them; a "typing" event from the
   visitor shows "Customer is typing..." for 4 s; a "delivery" event (a reply sent, failed,
   delivered or read) fetches that message again and replaces it. Queue page (#queue-rows):
   a "queue" event refreshes the rows (debounced), as the 15 s htmx poll does.
   The socket reconnects with backoff (1 s doubling to 30 s); while it is down the ticket page
   polls every 15 s, and the queue keeps its own 15 s poll whatever the socket does. */
(function () {
  "use strict";
  var conversation = document.querySelector("ol.conversation[data-live-ticket]");
  var rows = document.getElementById("queue-rows");
  if ((!conversation && !rows) || !window.WebSocket) return;

  var POLL_MS = 15000, TYPING_MS = 4000, QUEUE_DEBOUNCE_MS = 500, MAX_BACKOFF_MS = 30000;
  var ticketId = conversation ? parseInt(conversation.dataset.liveTicket, 10) : null;
  var socket = null, backoff = 1000, pollTimer = null, fetching = false, again = false;

  // --- the ticket page ----------------------------------------------------------------------
  function lastMessageId() {
    var items = conversation.querySelectorAll("li.msg[id^='message-']"), last = 0;
    items.forEach(function (li) {
      var id = parseInt(li.id.slice("message-".length), 10);
      if (id > last) last = id;
    });
    return last;
  }

  function fetchNew() {
    if (fetching) { again = true; return; }  // one request at a time; then once more
    fetching = true;
    var url = conversation.dataset.liveMessages + "?after=" + lastMessageId();
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        // Signed out (agent_required answers htmx-style requests with HX-Redirect): reload,
        // and the desk's own page says so.
        if (response.headers.get("HX-Redirect") || response.redirected || response.status === 403) {
          window.location.reload();
          return null;
        }
        if (!response.ok) return null;
        if (response.headers.get("X-More")) { window.location.reload(); return null; }
        return response.text();
      })
      .then(function (html) {
        if (!html || !html.trim()) return;
        var template = document.createElement("template");
        template.innerHTML = html;
        template.content.querySelectorAll("li.msg").forEach(function (li) {
          if (!document.getElementById(li.id)) {
            li.classList.add("live-new");
            conversation.appendChild(li);
          }
        });
        hideTyping();  // the message the visitor was typing has arrived
      })
      .catch(function () { /* the next event, reconnect or poll tries again */ })
      .finally(function () {
        fetching = false;
        if (again) { again = false; fetchNew(); }
      });
  }

  function refreshMessage(messageId) {
    var shown = document.getElementById("message-" + messageId);
    if (!shown) { fetchNew(); return; }  // not on the page yet: it comes with the new ones
    var url = conversation.dataset.liveMessages + "?message=" + messageId;
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html || !html.trim()) return;
        var template = document.createElement("template");
        template.innerHTML = html;
        var fresh = template.content.querySelector("li.msg");
        if (fresh && fresh.id === shown.id) shown.replaceWith(fresh);
      })
      .catch(function () { /* the page shows the stored state on its next load */ });
  }

  var typingBox = null, typingTimer = null;
  function showTyping() {
    if (!typingBox) {
      typingBox = document.createElement("p");
      typingBox.className = "typing muted";
      typingBox.setAttribute("aria-live", "polite");
      conversation.insertAdjacentElement("afterend", typingBox);
    }
    typingBox.textContent = conversation.dataset.typingText || "Customer is typing…";
    typingBox.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_MS);
  }
  function hideTyping() {
    clearTimeout(typingTimer);
    if (typingBox) { typingBox.hidden = true; typingBox.textContent = ""; }
  }

  // --- the queue page -----------------------------------------------------------------------
  var queueTimer = null;
  function refreshQueue() {
    clearTimeout(queueTimer);
    queueTimer = setTimeout(function () {
      var body = document.getElementById("queue-rows");
      if (!body || !window.htmx) return;
      if (document.querySelector(".bulk-pick:checked")) return;  // as the poll: not mid-pick
      window.htmx.ajax("GET", body.getAttribute("hx-get"), { target: body, swap: "outerHTML" });
    }, QUEUE_DEBOUNCE_MS);
  }

  // --- the socket ---------------------------------------------------------------------------
  function onEvent(event) {
    if (event.type === "message" && conversation && event.ticket === ticketId) fetchNew();
    else if (event.type === "delivery" && conversation && event.ticket === ticketId
      && event.message) refreshMessage(event.message);
    else if (event.type === "typing" && conversation
      && (event.ticket === undefined || event.ticket === ticketId)
      && event.from === "visitor") showTyping();
    else if (event.type === "queue" && rows) refreshQueue();
  }

  function startPolling() {
    if (pollTimer || !conversation) return;
    pollTimer = setInterval(fetchNew, POLL_MS);
  }
  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + "/ws/desk/");
    } catch (e) {
      startPolling();
      return;
    }
    socket.addEventListener("open", function () {
      backoff = 1000;
      if (conversation) socket.send(JSON.stringify({ type: "subscribe", ticket: ticketId }));
      if (rows) socket.send(JSON.stringify({ type: "subscribe", queue: true }));
    });
    socket.addEventListener("message", function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event.type === "subscribed") {
        stopPolling();
        document.documentElement.dataset.live = "on";
        if (event.ticket && conversation) fetchNew();  // what arrived while we were away
        return;
      }
      onEvent(event);
    });
    socket.addEventListener("close", function () {
      document.documentElement.dataset.live = "off";
      startPolling();
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    });
  }

  connect();
})();
