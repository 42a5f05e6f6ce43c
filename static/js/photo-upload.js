// The photo step, improved when scripts run: each photo is checked and
// previewed the moment it is chosen, then sent in the background with its own
// progress bar while the patient types the rest. The server holds each photo
// against the form's submission key, so Send carries only the typed fields.
// Without this file the same inputs post the photos with the form.
(function () {
  "use strict";
  var section = document.querySelector("[data-photo-upload]");
  if (!section || !window.FormData || !window.XMLHttpRequest) { return; }
  var form = section.closest("form");
  section.classList.add("photo-upload--active");
  var config = section.dataset;
  var announcer = section.querySelector("[data-photo-announcer]");
  var waitNote = form.querySelector("[data-photo-wait]");
  var RETRY_DELAYS = [1000, 3000, 8000];
  var items = [];
  // Every sentence comes from the page (data-texts, consultations/photo_uploads.py),
  // rendered in the patient's language, with {placeholders} filled in here.
  var TEXTS = JSON.parse(config.texts || "{}");

  function t(key, values) {
    return (TEXTS[key] || key).replace(/\{(\w+)\}/g, function (all, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  function say(text) {
    // Emptied first, so that the same words said twice are read twice.
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // As the server words sizes (uploads/templatetags/photo_sizes.py): decimal units.
  function megabytes(bytes, roundUp) {
    if (bytes < 1000) { return bytes + "\u00a0bytes"; }
    if (bytes < 1000000) { return Math.floor(bytes / 1000) + "\u00a0KB"; }
    var tenths = roundUp ? Math.ceil(bytes / 100000) : Math.floor(bytes / 100000);
    return (tenths % 10 ? (tenths / 10).toFixed(1) : String(tenths / 10)) + "\u00a0MB";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  var EXTENSIONS = /\.(jpe?g|png|webp|heic|heif|avif|mpo)$/i;

  // The checks the browser can make at once; the server decodes every photo again.
  function refusal(file) {
    if (file.size === 0) { return t("empty", { name: file.name }); }
    if (!/^image\//.test(file.type) && !EXTENSIONS.test(file.name)) {
      return t("notPhoto", { name: file.name, formats: config.formatsText });
    }
    if (file.size > Number(config.maxBytes)) {
      return t("tooBig", { name: file.name, size: megabytes(file.size, true), most: config.maxSizeText });
    }
    return "";
  }

  // --- Quality: the server's measures (uploads/processing.py), on a small grey copy ---
  function measure(bitmap) {
    var scale = Math.min(1, Number(config.qualityMeasureLongSide) / Math.max(bitmap.width, bitmap.height));
    var w = Math.max(1, Math.round(bitmap.width * scale));
    var h = Math.max(1, Math.round(bitmap.height * scale));
    var canvas = element("canvas");
    canvas.width = w; canvas.height = h;
    var context = canvas.getContext("2d");
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, w, h);
    var rgba = context.getImageData(0, 0, w, h).data;
    var grey = new Float32Array(w * h);
    var sum = 0;
    for (var i = 0; i < w * h; i++) {
      grey[i] = Math.floor((rgba[i * 4] * 299 + rgba[i * 4 + 1] * 587 + rgba[i * 4 + 2] * 114) / 1000);
      sum += grey[i];
    }
    // Pillow's 3x3 kernel, offset 128 and clipped to 8 bits; it leaves the edge pixels as they are.
    var total = 0, squares = 0;
    for (var y = 0; y < h; y++) {
      for (var x = 0; x < w; x++) {
        var at = y * w + x, v = grey[at];
        if (x > 0 && y > 0 && x < w - 1 && y < h - 1) {
          v = grey[at - 1] + grey[at + 1] + grey[at - w] + grey[at + w] - 4 * grey[at] + 128;
          v = Math.min(255, Math.max(0, v));
        }
        total += v; squares += v * v;
      }
    }
    var mean = total / (w * h);
    return { brightness: sum / (w * h), sharpness: squares / (w * h) - mean * mean };
  }

  function hintsFor(bitmap) {
    var hints = [];
    var found = measure(bitmap);
    if (found.brightness < Number(config.qualityDarkBelow)) {
      hints.push(t("dark"));
    }
    if (found.sharpness < Number(config.qualityBlurryBelow)) {
      hints.push(t("blurry"));
    }
    if (Math.min(bitmap.width, bitmap.height) < Number(config.qualitySmallShortSideBelow)) {
      hints.push(t("small", { width: bitmap.width, height: bitmap.height }));
    }
    return hints;
  }

  function drawPreview(item, bitmap) {
    var canvas = element("canvas", "photo-item__preview");
    var side = 128, crop = Math.min(bitmap.width, bitmap.height);
    canvas.width = side; canvas.height = side;
    canvas.getContext("2d").drawImage(bitmap, (bitmap.width - crop) / 2,
      (bitmap.height - crop) / 2, crop, crop, 0, 0, side, side);
    canvas.setAttribute("aria-hidden", "true");
    item.preview.replaceWith(canvas);
    item.preview = canvas;
  }

  // --- One photo in the list: its preview, progress, words and buttons ---
  function Item(slot, file) {
    this.slot = slot;
    this.file = file;
    this.state = "checking";
    this.attempt = 0;
    this.node = element("li", "photo-item");
    this.preview = element("span", "photo-item__preview photo-item__preview--empty");
    this.preview.setAttribute("aria-hidden", "true");
    var body = element("div", "photo-item__body");
    this.title = element("p", "photo-item__name", file.name + " \u00b7 " + megabytes(file.size));
    this.progress = element("progress", "photo-item__progress");
    this.progress.max = 100; this.progress.value = 0;
    this.progress.setAttribute("aria-label", t("uploadOf", { name: file.name }));
    this.status = element("p", "photo-item__status");
    this.hints = element("ul", "photo-item__hints");
    this.retryButton = element("button", "button button--small", t("tryAgain"));
    this.retryButton.type = "button";
    this.retryButton.hidden = true;
    this.removeButton = element("button", "button button--small", t("remove"));
    this.removeButton.type = "button";
    var name = element("span", "visually-hidden", " " + file.name);
    this.retryButton.appendChild(name.cloneNode(true));
    this.removeButton.appendChild(name);
    var buttons = element("p", "photo-item__buttons");
    buttons.append(this.retryButton, this.removeButton);
    body.append(this.title, this.progress, this.status, this.hints, buttons);
    this.node.append(this.preview, body);
    this.retryButton.addEventListener("click", this.queue.bind(this));
    this.removeButton.addEventListener("click", this.remove.bind(this));
  }

  Item.prototype.show = function (state, words) {
    this.state = state;
    this.node.dataset.state = state;
    this.status.textContent = words;
    this.progress.hidden = state !== "uploading";
    this.retryButton.hidden = state !== "failed";
    this.node.classList.toggle("photo-item--error", state === "refused" || state === "failed");
    updateWaitNote();
  };

  Item.prototype.check = function () {
    var item = this;
    var refused = refusal(this.file);
    if (refused) { this.refuse(refused); return; }
    this.show("checking", t("checking"));
    var bitmapPromise = window.createImageBitmap ? window.createImageBitmap(this.file) : Promise.reject();
    bitmapPromise.then(function (bitmap) {
      if (item.state === "removed") { bitmap.close(); return; }
      if (bitmap.width * bitmap.height > Number(config.maxPixels)) {
        bitmap.close();
        item.refuse(t("tooManyPixels", { name: item.file.name, width: bitmap.width, height: bitmap.height }));
        return;
      }
      drawPreview(item, bitmap);
      hintsFor(bitmap).forEach(function (hint) { item.hints.append(element("li", "", hint)); });
      bitmap.close();
      item.queue();
    }, function () {
      // HEIC in most browsers: the server decodes it and makes the preview.
      item.queue();
    });
  };

  // One upload at a time: a phone link is no faster with several, each photo
  // arrives sooner, and the first one gives the session its holder token.
  Item.prototype.queue = function () {
    // Removed while the browser was still reading it: nothing to send.
    if (this.state === "removed") { return; }
    this.show("queued", t("queued"));
    pump();
  };

  function pump() {
    if (items.some(function (item) { return item.request; })) { return; }
    var next = items.filter(function (item) { return item.state === "queued"; })[0];
    if (next) { next.upload(); }
  }

  Item.prototype.refuse = function (message) {
    this.show("refused", message);
    say(message);
  };

  Item.prototype.upload = function () {
    var item = this;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    data.append("submission_key", form.elements.submission_key.value);
    data.append("slot", this.slot.name);
    data.append("photo", this.file, this.file.name);
    // The server's refusals in the page's language (the status page's may differ from the browser's).
    data.append("language", document.documentElement.lang);
    var request = this.request = new XMLHttpRequest();
    request.open("POST", config.photoUpload);
    request.responseType = "json";
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) { return; }
      var percent = Math.round((event.loaded / event.total) * 100);
      item.progress.value = percent;
      item.status.textContent = percent < 100 ? t("uploading", { percent: percent })
        : t("serverChecking");
    });
    request.addEventListener("load", function () { item.answered(request.status, request.response || {}); });
    request.addEventListener("error", function () { item.answered(0, {}); });
    this.progress.value = 0;
    this.show("uploading", t("uploading", { percent: 0 }));
    if (this.attempt === 0) { say(t("uploadingSay", { slot: this.slot.label, name: this.file.name })); }
    request.send(data);
  };

  Item.prototype.answered = function (status, answer) {
    this.request = null;
    if (this.state === "removed") {
      if (status === 201) { forget(answer.remove); }
      this.drop();
      pump();
      finishIfWaiting();
      return;
    }
    if (status === 201) {
      this.held = answer;
      this.attempt = 0;
      if (this.preview.tagName !== "CANVAS") {
        var image = element("img", "photo-item__preview");
        image.src = answer.preview; image.alt = ""; image.width = 64; image.height = 64;
        this.preview.replaceWith(image);
        this.preview = image;
      }
      this.show("uploaded", t("uploaded"));
      say(t("uploadedSay", { slot: this.slot.label, name: this.file.name }));
      pump();
      finishIfWaiting();
      return;
    }
    var retry = status === 0 || answer.retry === true || status >= 500;
    var message = answer.error || (status === 0 ? t("connectionLost") : t("notUploaded"));
    if (retry && this.attempt < RETRY_DELAYS.length) {
      var item = this;
      var delay = RETRY_DELAYS[this.attempt++];
      this.show("waiting", t("retrying", { message: message, seconds: delay / 1000 }));
      this.timer = window.setTimeout(function () { item.queue(); }, delay);
      pump();
      return;
    }
    this.show(retry ? "failed" : "refused", retry ? t("failed", { message: message }) : message);
    say(this.file.name + ": " + this.status.textContent);
    pump();
    finishIfWaiting();
  };

  // An upload in flight is not aborted: the server may have kept the photo
  // already, and only its answer says which one to forget. Until then the
  // item still counts as busy, so Send cannot claim it meanwhile.
  Item.prototype.remove = function () {
    this.state = "removed";
    window.clearTimeout(this.timer);
    if (this.held) { forget(this.held.remove); }
    if (!this.request) { this.drop(); }
    var next = this.node.nextElementSibling || this.node.previousElementSibling;
    this.node.remove();
    (next ? next.querySelector("button:not([hidden])") : this.slot.input).focus();
    say(t("removed", { name: this.file.name }));
    updateWaitNote();
    pump();
    finishIfWaiting();
  };

  Item.prototype.drop = function () {
    if (items.indexOf(this) !== -1) { items.splice(items.indexOf(this), 1); }
  };

  // Removals still on their way: Send waits for them, or it could claim the photo.
  var forgetting = 0;

  function forget(url) {
    var request = new XMLHttpRequest();
    forgetting++;
    request.addEventListener("loadend", function () { forgetting--; finishIfWaiting(); });
    request.open("POST", url);
    request.setRequestHeader("X-CSRFToken", form.elements.csrfmiddlewaretoken.value);
    request.send();
  }

  // --- Slots: the five guided angles, one photo each, and "other photos" ---
  function keptCount() {
    return section.querySelectorAll("[data-held-id] input[name=remove_kept]:not(:checked)").length;
  }

  function activeCount() {
    return keptCount() + items.filter(function (item) {
      return item.state !== "refused" && item.state !== "removed";
    }).length;
  }

  function setUpSlot(node) {
    var input = node.querySelector("input[type=file]");
    if (!input) { return; }
    var slot = { name: node.dataset.slot, label: node.dataset.slotLabel, input: input, single: !input.multiple };
    var list = element("ul", "photo-items");
    input.after(list);
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      // Sent by the widget: the form itself must not carry them again.
      input.value = "";
      if (slot.single && files.length) {
        items.filter(function (item) { return item.slot === slot; })
          .forEach(function (item) { item.remove(); });
        node.querySelectorAll("[data-held-id]").forEach(function (kept) {
          kept.querySelector("input[name=remove_kept]").checked = true;
          forget(kept.dataset.removeUrl);
          kept.hidden = true;
        });
      }
      files.forEach(function (file) {
        var item = new Item(slot, file);
        list.append(item.node);
        if (activeCount() >= Number(config.maxPhotos)) {
          item.refuse(t("tooMany", { most: config.maxPhotos, name: file.name }));
        } else {
          items.push(item);
          item.check();
        }
      });
    });
  }

  section.querySelectorAll("[data-slot]").forEach(setUpSlot);

  // --- Send: wait for photos still uploading; never send with one failed ---
  function busy() {
    return items.filter(function (item) {
      return item.request || ["checking", "queued", "uploading", "waiting"].indexOf(item.state) !== -1;
    });
  }

  function updateWaitNote() {
    if (!form.dataset.waitingForPhotos) { return; }
    var left = busy().length;
    waitNote.textContent = left ? t(left === 1 ? "waitOne" : "waitMany", { count: left }) : "";
  }

  function finishIfWaiting() {
    if (!form.dataset.waitingForPhotos || busy().length || forgetting) { return; }
    delete form.dataset.waitingForPhotos;
    var failed = items.filter(function (item) { return item.state === "failed"; });
    if (failed.length) {
      waitNote.textContent = t(failed.length === 1 ? "failedOne" : "failedMany", { count: failed.length });
      failed[0].retryButton.focus();
      return;
    }
    waitNote.textContent = t("sending");
    // form.submit() fires no submit event: mark it sent as request-form.js would.
    form.dataset.sent = "1";
    form.querySelector("button[type=submit]").disabled = true;
    form.submit();
  }

  form.addEventListener("submit", function (event) {
    var failed = items.some(function (item) { return item.state === "failed"; });
    if (!busy().length && !forgetting && !failed) { return; }
    event.preventDefault();
    form.dataset.waitingForPhotos = "1";
    updateWaitNote();
    finishIfWaiting();
  });
})();
