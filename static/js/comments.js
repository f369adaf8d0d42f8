// Comments on the proposal and thread pages. Without JavaScript "Reply" goes to the
// thread page's reply form and "Show N more replies" to the thread page, which shows
// every reply. With it the reply form opens under the comment (the form still posts to
// the server, which sends the person back to the proposal at the new reply), and the
// next replies are loaded in place from /c/<id>/replies; the live region says how many
// came, and focus moves to the first of them, since the link that asked is gone.
(function () {
  "use strict";
  var status = document.querySelector("[data-replies-status]");
  var template = document.getElementById("reply-form-template");
  if (!status || !window.fetch || !("content" in document.createElement("template"))) return;

  if (template) markCollapsed(document);

  document.addEventListener("click", function (event) {
    var target = event.target.closest("a[data-more-replies], a[data-reply-url], [data-reply-cancel]");
    if (!target) return;
    if (target.hasAttribute("data-more-replies")) {
      event.preventDefault();
      loadMore(target);
    } else if (target.hasAttribute("data-reply-url")) {
      if (!template) return;
      event.preventDefault();
      openReply(target);
    } else {
      event.preventDefault();
      closeReply(target.closest("form"));
    }
  });

  function loadMore(link) {
    if (link.getAttribute("aria-busy") === "true") return;
    link.setAttribute("aria-busy", "true");
    var holder = link.parentNode;
    fetch(link.getAttribute("data-more-replies"), {
      credentials: "same-origin",
      headers: { Accept: "text/html" }
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var parsed = document.createElement("template");
        parsed.innerHTML = html;
        var box = parsed.content.querySelector("[data-replies-loaded]");
        var first = box.querySelector(":scope > article");
        if (template) markCollapsed(box);
        while (box.firstChild) holder.parentNode.insertBefore(box.firstChild, holder);
        holder.parentNode.removeChild(holder);
        say(box.getAttribute("data-replies-loaded"));
        if (first) {
          first.setAttribute("tabindex", "-1");
          first.focus();
        }
      })
      .catch(function () {
        window.location.href = link.href;  // the thread page shows them all
      });
  }

  function markCollapsed(root) {
    root.querySelectorAll("a[data-reply-url]").forEach(function (link) {
      link.setAttribute("aria-expanded", "false");
    });
  }

  function say(text) {
    status.textContent = "";
    // A moment later, so the same words said twice are announced twice.
    setTimeout(function () { status.textContent = text; }, 50);
  }

  function openReply(link) {
    var article = link.closest("article");
    var open = article.querySelector(":scope > form.reply-form");
    if (open) {
      open.querySelector("textarea").focus();
      return;
    }
    var form = template.content.firstElementChild.cloneNode(true);
    uniqueIds(form, "-" + article.id);
    form.action = link.getAttribute("data-reply-url");
    var actions = link.closest(".comment-actions");
    actions.parentNode.insertBefore(form, actions.nextSibling);
    link.setAttribute("aria-expanded", "true");
    form.querySelector("textarea").focus();
  }

  function uniqueIds(form, suffix) {
    form.querySelectorAll("[id]").forEach(function (element) { element.id += suffix; });
    form.querySelectorAll("label[for]").forEach(function (label) {
      label.htmlFor += suffix;
    });
    form.querySelectorAll("[aria-describedby]").forEach(function (element) {
      var ids = element.getAttribute("aria-describedby").split(" ");
      element.setAttribute("aria-describedby", ids.map(function (id) { return id + suffix; }).join(" "));
    });
  }

  function closeReply(form) {
    var article = form.closest("article");
    var link = article.querySelector(":scope > .comment-actions a[data-reply-url]");
    form.parentNode.removeChild(form);
    if (link) {
      link.setAttribute("aria-expanded", "false");
      link.focus();
    }
  }
})();
