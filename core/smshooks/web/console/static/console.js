// smshooks console: small progressive enhancements. Every page works without this file,
// except the live previews (segment counter, payload preview), which need it.
(function () {
  "use strict";
  var csrf = document.body.getAttribute("data-csrf");

  // the sandbox list switches as soon as one is chosen
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  // the error summary takes the focus, so a keyboard or screen reader user lands on it
  var summary = document.querySelector("[data-focus]");
  if (summary) { summary.focus(); }

  // copy buttons: data-copy names the element whose text is copied
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var text = source.value !== undefined ? source.value : source.textContent;
      var done = function () {
        var label = button.textContent;
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text.trim()).then(done, function () { select(source); });
      } else {
        select(source);
        try { document.execCommand("copy"); done(); } catch (e) { /* selected: the user copies */ }
      }
    });
  });

  function select(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // confirmation on buttons that delete (the server also asks on its own page without JavaScript)
  document.querySelectorAll("[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // POST a form's fields as JSON to a console endpoint; answer JSON
  window.smshooksPost = function (url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (response) { return response.json(); });
  };

  window.smshooksDebounce = function (fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  };
})();
