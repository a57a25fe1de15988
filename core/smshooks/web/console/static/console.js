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

  // keyword chips: the text field stays the form's value; chips show it and edit it
  document.querySelectorAll("textarea[data-chips]").forEach(function (area) {
    var box = document.createElement("div");
    box.className = "chip-editor";
    var list = document.createElement("ul");
    list.className = "chips";
    var input = document.createElement("input");
    input.type = "text";
    input.id = area.id + "-new";
    // the field's own label names it; the hint says how to add and remove
    if (area.getAttribute("aria-describedby")) {
      input.setAttribute("aria-describedby", area.getAttribute("aria-describedby"));
    }
    input.placeholder = "Type a keyword, press Enter";
    box.appendChild(list);
    box.appendChild(input);
    area.hidden = true;
    area.parentNode.insertBefore(box, area.nextSibling);
    var label = document.querySelector("label[for='" + area.id + "']");
    if (label) { label.setAttribute("for", input.id); }

    function words() {
      return area.value.split(/[,\n]/).map(function (w) { return w.trim(); }).filter(Boolean);
    }
    function render() {
      list.innerHTML = "";
      words().forEach(function (word, index) {
        var chip = document.createElement("li");
        chip.className = "chip";
        chip.textContent = word;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", "Remove " + word);
        remove.addEventListener("click", function () {
          var all = words();
          all.splice(index, 1);
          area.value = all.join(", ");
          render();
          input.focus();
        });
        chip.appendChild(remove);
        list.appendChild(chip);
      });
    }
    function add() {
      var word = input.value.replace(/,/g, "").trim();
      if (word) {
        var all = words();
        all.push(word);
        area.value = all.join(", ");
        input.value = "";
        render();
      }
    }
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === ",") { event.preventDefault(); add(); }
      if (event.key === "Backspace" && !input.value) {
        var all = words();
        all.pop();
        area.value = all.join(", ");
        render();
      }
    });
    input.addEventListener("blur", add);
    render();
  });

  // a vendor list filters the credential list beside it to that vendor's credentials
  document.querySelectorAll("select[data-filters]").forEach(function (vendor) {
    var target = document.getElementById(vendor.getAttribute("data-filters"));
    function filter() {
      target.querySelectorAll("optgroup").forEach(function (group) {
        var same = group.getAttribute("data-vendor") === vendor.value;
        group.hidden = !same;
        group.disabled = !same;
      });
      var chosen = target.options[target.selectedIndex];
      if (chosen && chosen.getAttribute("data-vendor") && chosen.getAttribute("data-vendor") !== vendor.value) {
        target.value = "";
      }
    }
    vendor.addEventListener("change", filter);
    filter();
  });

  // "try a message" answers in place
  document.querySelectorAll("form[data-try]").forEach(function (form) {
    var result = document.getElementById("try-result");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = form.querySelector("[name=text]").value;
      window.smshooksPost(form.action, { text: text }).then(function (answer) {
        result.innerHTML = "";
        if (answer.error) {
          var p = document.createElement("p");
          p.className = "error-summary";
          p.textContent = answer.error;
          result.appendChild(p);
          return;
        }
        var dl = document.createElement("dl");
        dl.className = "pairs";
        [["Category", answer.category], ["Match", answer.match + (answer.rule ? " (rule " + answer.rule + ")" : "")],
         ["Keyword", answer.keyword || "—"], ["As matching sees it", answer.canonical],
         ["Decided by", answer.decided_by]].forEach(function (pair) {
          if (pair[1] === null || pair[1] === undefined) { return; }
          var dt = document.createElement("dt");
          dt.textContent = pair[0];
          var dd = document.createElement("dd");
          dd.textContent = pair[1];
          dl.appendChild(dt);
          dl.appendChild(dd);
        });
        result.appendChild(dl);
      });
    });
  });

  // a list that shows a section only for one of its values: data-toggles-value="section-id:value"
  document.querySelectorAll("select[data-toggles-value]").forEach(function (select) {
    var parts = select.getAttribute("data-toggles-value").split(":");
    var section = document.getElementById(parts[0]);
    function toggle() { section.hidden = select.value !== parts[1]; }
    select.addEventListener("change", toggle);
    toggle();
  });

  // a field that matters for some values of a list only (data-when="auth_type" data-when-values="basic")
  // is shown only while the list has one of them, and disabled otherwise so it is not sent (the server
  // ignores it anyway). Shown, it needs no note saying when it is used.
  document.querySelectorAll("form[data-credential-form]").forEach(function (form) {
    var dependents = form.querySelectorAll("[data-when]");
    if (!dependents.length) { return; }
    form.querySelectorAll("[data-when-note]").forEach(function (note) { note.hidden = true; });
    function update() {
      dependents.forEach(function (field) {
        var list = form.querySelector("select[name='" + field.getAttribute("data-when") + "']");
        if (!list) { return; }
        var values = field.getAttribute("data-when-values").toLowerCase().split(" ");
        var shown = values.indexOf(list.value.toLowerCase()) !== -1;
        field.hidden = !shown;
        field.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !shown; });
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.matches("select")) { update(); }
    });
    update();
  });

  // the reply editor: encoding, segment count and rendering follow each keystroke
  document.querySelectorAll("form[data-reply-editor]").forEach(function (form) {
    var template = form.querySelector("[name=template]");
    var profile = form.querySelector("[name=profile]");
    var counter = document.getElementById("f-counter");
    var rendered = document.getElementById("f-rendered");
    form.querySelectorAll("[data-js-hide]").forEach(function (el) { el.hidden = true; });
    var update = window.smshooksDebounce(function () {
      window.smshooksPost(form.getAttribute("data-preview-url"), { template: template.value, profile: profile.value })
        .then(function (answer) {
          counter.innerHTML = "";
          if (answer.error) {
            var error = document.createElement("span");
            error.className = "field-error";
            error.textContent = answer.error;
            counter.appendChild(error);
            rendered.textContent = "";
            return;
          }
          var parts = [[answer.characters, " characters · "], [answer.encoding, " · "],
                       [answer.segments, answer.segments === 1 ? " SMS segment" : " SMS segments"]];
          parts.forEach(function (part) {
            var strong = document.createElement("strong");
            strong.textContent = part[0];
            counter.appendChild(strong);
            counter.appendChild(document.createTextNode(part[1]));
          });
          if (answer.too_long) {
            var warn = document.createElement("span");
            warn.className = "field-error";
            warn.textContent = ": too many segments, it will be refused";
            counter.appendChild(warn);
          }
          rendered.textContent = answer.text;
        });
    }, 250);
    template.addEventListener("input", update);
    profile.addEventListener("input", update);
  });

  // the payload editor's preview follows the sample message and profile
  document.querySelectorAll("form[data-payload-preview]").forEach(function (form) {
    var result = document.getElementById("p-result");
    form.querySelectorAll("[data-js-hide]").forEach(function (el) { el.hidden = true; });
    var update = window.smshooksDebounce(function () {
      var body = {};
      ["text", "to", "from", "profile"].forEach(function (name) { body[name] = form.querySelector("[name=" + name + "]").value; });
      window.smshooksPost(form.action, body).then(function (answer) {
        result.innerHTML = "";
        var out = document.createElement(answer.error ? "p" : "pre");
        if (answer.error) {
          out.className = "error-summary";
          out.textContent = answer.error;
        } else {
          var r = answer.request;
          var lines = [r.method + " " + r.url];
          Object.keys(r.headers || {}).forEach(function (name) { lines.push(name + ": " + r.headers[name]); });
          out.id = "p-request";
          out.textContent = lines.join("\n") + "\n\n" + (typeof r.body === "string" ? r.body : JSON.stringify(r.body, null, 2));
        }
        result.appendChild(out);
      });
    }, 300);
    form.addEventListener("input", update);
  });
})();
