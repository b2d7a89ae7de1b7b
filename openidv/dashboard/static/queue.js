// The review queue's small helpers (a static file: the dashboard's CSP forbids inline scripts).
// 1. Every <time datetime> is shown in the reviewer's own time zone, named; without JS it says UTC.
// 2. On an inquiry: a approves, d declines, r marks for review, n opens the next inquiry in the queue.
//    Keys never fire while typing in a field, nor with Ctrl, Alt or Meta held.
(function () {
  "use strict";

  function localTimes() {
    var format;
    try {
      format = new Intl.DateTimeFormat(undefined, {
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
    } catch (e) {
      return;
    }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      el.title = el.textContent.trim() + (zone ? " (shown in " + zone + ")" : "");
      el.textContent = format.format(when);
    });
  }

  function decisionButton(id, action) {
    // The case page's own button for this decision (its formaction, or its form's action), whatever its label.
    var wanted = "/dashboard/inquiries/" + id + "/" + action;
    var buttons = document.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      if ((b.getAttribute("formaction") || (b.form && b.form.getAttribute("action"))) === wanted) return b;
    }
    return null;
  }

  function inquiryId() {
    var match = /^\/dashboard\/inquiries\/(inq_[A-Za-z0-9]+)$/.exec(window.location.pathname);
    return match ? match[1] : null;
  }

  function shortcuts() {
    var id = inquiryId();
    if (!id) return;
    var keys = { a: "approve", d: "decline", r: "mark-for-review" };
    var approve = decisionButton(id, "approve");
    if (approve) {
      var hint = document.createElement("p");
      hint.className = "shortcuts";
      hint.id = "shortcuts";
      hint.innerHTML = "Keys: <kbd>a</kbd> approve, <kbd>d</kbd> decline, <kbd>r</kbd> mark for review, <kbd>n</kbd> next in the queue.";
      approve.form.appendChild(hint);
    }
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
      var t = event.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      var key = event.key.toLowerCase();
      if (key === "n") {
        event.preventDefault();
        window.location.assign("/dashboard/queue/next?after=" + encodeURIComponent(id));
        return;
      }
      var button = keys[key] && decisionButton(id, keys[key]);
      if (button) {
        event.preventDefault();
        button.click();
      }
    });
  }

  function chooseAll() {
    // A "choose all" box in the list's header, added only when there is a bulk form to use it.
    var bulk = document.getElementById("bulk");
    var head = document.querySelector("table.queue thead th");
    if (!bulk || !head || !document.querySelector("input[name^=pick-]")) return;
    var box = document.createElement("input");
    box.type = "checkbox";
    box.setAttribute("aria-label", "Choose every inquiry on this page");
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name^=pick-]").forEach(function (b) { b.checked = box.checked; });
    });
    head.textContent = "";
    head.appendChild(box);
  }

  function ready() {
    localTimes();
    shortcuts();
    chooseAll();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
