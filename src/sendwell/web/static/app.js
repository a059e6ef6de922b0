// Sendwell's pages: live counts (server-sent events), the live inbox, the message views.
// Plain JavaScript, no library; every page works without it, only less live.
(function () {
  "use strict";

  function percent(value) { return Math.round(value * 100) + "%"; }
  function number(value) { return value === null || value === undefined ? "—" : value.toLocaleString("en-US"); }
  function when(value) { return value ? value.replace("T", " ").replace(/\.\d+Z?$|Z$/, "") : "—"; }

  function applySend(send) {
    document.querySelectorAll('[data-job="' + send.id + '"]').forEach(function (row) {
      row.querySelectorAll("[data-field]").forEach(function (cell) {
        var field = cell.getAttribute("data-field");
        if (field === "progress") { if (send.progress !== null) cell.value = send.progress; return; }
        if (field === "percent") { if (send.progress !== null) cell.textContent = percent(send.progress); return; }
        if (field === "status") { cell.textContent = send.status; return; }
        if (field === "completedAt") { cell.textContent = when(send.completedAt); return; }
        if (field in send) cell.textContent = number(send[field]);
      });
      row.setAttribute("data-status", send.status);
    });
  }

  function liveSends(url) {
    if (!window.EventSource) return;
    var source = new EventSource(url);
    source.onmessage = function (event) {
      JSON.parse(event.data).sends.forEach(applySend);
    };
    source.addEventListener("done", function () {
      source.close();
      refreshSections();
    });
    source.addEventListener("gone", function () { source.close(); });
  }

  // Once a send has ended, its charts and recipients are fetched again and swapped in place.
  function refreshSections() {
    var parts = document.querySelectorAll("[data-refresh]");
    if (!parts.length) return;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (reply) { return reply.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        parts.forEach(function (part) {
          var replacement = fresh.getElementById(part.id);
          if (replacement) part.replaceWith(replacement);
        });
      });
  }

  function liveInbox(body) {
    if (!window.EventSource) return;
    var newest = parseInt(body.getAttribute("data-newest") || "0", 10);
    var query = body.getAttribute("data-inbox-query") || "";
    var rows = document.getElementById("inbox-rows");
    var source = new EventSource(body.getAttribute("data-live-inbox"));
    source.onmessage = function () {
      fetch("/ui/inbox/rows?q=" + encodeURIComponent(query) + "&after=" + newest, { credentials: "same-origin" })
        .then(function (reply) {
          var top = parseInt(reply.headers.get("X-Newest") || "0", 10);
          return reply.text().then(function (html) { return [top, html]; });
        })
        .then(function (got) {
          if (got[1].trim()) {
            var empty = rows.querySelector("tr.empty");
            if (empty) empty.remove();
            rows.insertAdjacentHTML("afterbegin", got[1]);
            var total = document.getElementById("inbox-total");
            if (total) total.textContent = rows.querySelectorAll("tr[data-message]").length >= 50 ? total.textContent : number(rows.querySelectorAll("tr[data-message]").length);
          }
          newest = Math.max(newest, got[0]);
        });
    };
  }

  function messageViews() {
    var frame = document.getElementById("frame");
    if (!frame) return;
    document.querySelectorAll("[data-width]").forEach(function (button) {
      button.addEventListener("click", function () {
        var mobile = button.getAttribute("data-width") === "mobile";
        frame.classList.toggle("mobile", mobile);
        frame.classList.toggle("desktop", !mobile);
        document.querySelectorAll("[data-width]").forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === button));
        });
      });
    });
    var images = document.querySelector("[data-images]");
    if (images) images.addEventListener("click", function () {
      frame.src = images.getAttribute("data-images");
      images.disabled = true;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    if (body.hasAttribute("data-live-sends")) liveSends(body.getAttribute("data-live-sends"));
    if (body.hasAttribute("data-live-inbox")) liveInbox(body);
    messageViews();
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();
