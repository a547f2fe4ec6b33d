/* Coordinator console: upload pullbacks with a progress bar, then follow their ingest.
 *
 * Progressive enhancement of the upload form (which also works without script): each chosen
 * file is sent on its own to POST <upload-url> (multipart: file, subject_code, timepoint,
 * lesion; session auth with the X-CSRFToken header), the upload percent drives a <progress>
 * bar, then GET <pullback-base><id>/ is polled until the pullback is ready or failed.
 * With a manifest CSV chosen, all files go in ONE request with the manifest (all or nothing),
 * and a row per created pullback follows its ingest.
 * No inline handlers: the Content-Security-Policy allows scripts from 'self' only.
 */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var FINAL = { ready: true, failed: true };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function errorText(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.detail) return body.detail;
    } catch (e) { /* not JSON */ }
    return "HTTP " + xhr.status;
  }

  function Row(list, file) {
    this.item = el("li", "upload");
    this.item.setAttribute("data-file", file.name);
    this.name = el("span", "upload-name", file.name);
    this.bar = el("progress", "upload-bar");
    this.bar.max = 100;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", "Upload of " + file.name);
    this.percent = el("span", "upload-percent", "0 %");
    this.status = el("span", "upload-status status", "waiting");
    this.detail = el("span", "upload-detail muted", "");
    this.item.append(this.name, this.bar, this.percent, this.status, this.detail);
    list.appendChild(this.item);
  }

  Row.prototype.setPercent = function (pct) {
    this.bar.value = pct;
    this.percent.textContent = pct + " %";
  };

  Row.prototype.setStatus = function (status, detail) {
    this.status.textContent = status;
    this.status.className = "upload-status status status-" + status;
    this.item.setAttribute("data-status", status);
    if (detail !== undefined) this.detail.textContent = detail;
  };

  function upload(form, file, row) {
    var data = new FormData();
    data.append("file", file, file.name);
    ["subject_code", "timepoint", "lesion"].forEach(function (name) {
      data.append(name, form.elements[name].value);
    });
    return send(form, data, row).then(function (body) {
      if (body === null) return null;
      row.setStatus(body.status, "pullback " + body.id);
      return body.id;
    });
  }

  function send(form, data, row) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.uploadUrl);
      xhr.setRequestHeader("X-CSRFToken", form.elements.csrfmiddlewaretoken.value);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          row.setPercent(Math.round((100 * event.loaded) / event.total));
        }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status === 201 || xhr.status === 202) {
          row.setPercent(100);
          resolve(JSON.parse(xhr.responseText));
        } else {
          row.setStatus("failed", errorText(xhr));
          resolve(null);
        }
      });
      xhr.addEventListener("error", function () {
        row.setStatus("failed", "the upload was interrupted; try again");
        resolve(null);
      });
      row.setStatus("uploading", "");
      xhr.send(data);
    });
  }

  function follow(form, id, row) {
    var url = form.dataset.pullbackBase + id + "/";
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (body) {
          var detail = "pullback " + id;
          if (typeof body.ingest_progress_pct === "number" && !FINAL[body.status]) {
            detail += " · ingest " + Math.round(body.ingest_progress_pct) + " %";
          }
          if (body.status === "ready") {
            detail += " · " + body.n_frames + " frames";
            if (!body.pixel_spacing_mm) detail += " · no pixel spacing: enter a calibration";
          }
          if (body.status === "failed" && body.error) detail += " · " + body.error;
          row.setStatus(body.status, detail);
          if (FINAL[body.status]) {
            var link = el("a", "upload-link", "Open pullback " + id);
            link.href = form.dataset.manageBase + id + "/";
            row.item.appendChild(link);
          } else {
            window.setTimeout(poll, POLL_MS);
          }
        })
        .catch(function (err) {
          row.setStatus("unknown", "status unavailable (" + err.message + "); retrying");
          window.setTimeout(poll, POLL_MS * 3);
        });
    }
    poll();
  }

  function startWithManifest(form, files, manifest, list, button, input) {
    var data = new FormData();
    files.forEach(function (file) { data.append("file", file, file.name); });
    data.append("manifest", manifest, manifest.name);
    var row = new Row(list, { name: files.length + " file(s) with " + manifest.name });
    return send(form, data, row).then(function (body) {
      if (body !== null) {
        var created = body.pullbacks || [body];
        row.setStatus("uploaded", created.length + " pullback(s) created");
        created.forEach(function (p) {
          var each = new Row(list, { name: "pullback " + p.id });
          each.setPercent(100);
          each.setStatus(p.status, "pullback " + p.id);
          follow(form, p.id, each);
        });
        form.elements.manifest.value = "";
        input.value = "";
      }
      button.disabled = false;
    });
  }

  function start(form) {
    var input = form.elements.file;
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) {
      input.focus();
      return;
    }
    var manifestInput = form.elements.manifest;
    var manifest = manifestInput && manifestInput.files && manifestInput.files[0];
    if (!form.reportValidity()) return;
    var panel = document.getElementById("upload-progress");
    var list = document.getElementById("upload-list");
    panel.hidden = false;
    if (manifest) {
      var sendButton = document.getElementById("upload-button");
      sendButton.disabled = true;
      startWithManifest(form, files, manifest, list, sendButton, input);
      return;
    }
    var rows = files.map(function (file) { return new Row(list, file); });
    var button = document.getElementById("upload-button");
    button.disabled = true;
    // One file at a time: the bar then reflects the one transfer that is running.
    files
      .reduce(function (chain, file, i) {
        return chain.then(function () {
          return upload(form, file, rows[i]).then(function (id) {
            if (id !== null) follow(form, id, rows[i]);
          });
        });
      }, Promise.resolve())
      .then(function () {
        button.disabled = false;
        input.value = "";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (!form) return;
    form.setAttribute("data-enhanced", "true");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      start(form);
    });
  });
})();
