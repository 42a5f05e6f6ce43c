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
    var name = "\u201c" + file.name + "\u201d";
    if (file.size === 0) {
      return name + " is empty (0 bytes), so there is no photo in it. Please choose the photo again.";
    }
    if (!/^image\//.test(file.type) && !EXTENSIONS.test(file.name)) {
      return name + " is not a photo we can take: please choose a " + config.formatsText + " file.";
    }
    if (file.size > Number(config.maxBytes)) {
      return name + " is " + megabytes(file.size, true) + "; each photo may be at most " +
        config.maxSizeText + ".";
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
      hints.push("This photo looks dark. If you can, take it again facing a window.");
    }
    if (found.sharpness < Number(config.qualityBlurryBelow)) {
      hints.push("This photo may be blurry. Hold the phone steady, or take it again.");
    }
    if (Math.min(bitmap.width, bitmap.height) < Number(config.qualitySmallShortSideBelow)) {
      hints.push("This photo is small (" + bitmap.width + "\u00d7" + bitmap.height +
        " pixels), so details may be hard to see.");
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
    this.progress.setAttribute("aria-label", "Upload of " + file.name);
    this.status = element("p", "photo-item__status");
    this.hints = element("ul", "photo-item__hints");
    this.retryButton = element("button", "button button--small", "Try again");
    this.retryButton.type = "button";
    this.retryButton.hidden = true;
    this.removeButton = element("button", "button button--small", "Remove");
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
    this.show("checking", "Checking\u2026");
    var bitmapPromise = window.createImageBitmap ? window.createImageBitmap(this.file) : Promise.reject();
    bitmapPromise.then(function (bitmap) {
      if (item.state === "removed") { bitmap.close(); return; }
      if (bitmap.width * bitmap.height > Number(config.maxPixels)) {
        bitmap.close();
        item.refuse("\u201c" + item.file.name + "\u201d is too large (" + bitmap.width + "\u00d7" +
          bitmap.height + " pixels). Please send a smaller copy.");
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
    this.show("queued", "Waiting to upload\u2026");
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
    var request = this.request = new XMLHttpRequest();
    request.open("POST", config.photoUpload);
    request.responseType = "json";
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) { return; }
      var percent = Math.round((event.loaded / event.total) * 100);
      item.progress.value = percent;
      item.status.textContent = percent < 100 ? "Uploading\u2026 " + percent + "%"
        : "Sent; the clinic's server is checking it\u2026";
    });
    request.addEventListener("load", function () { item.answered(request.status, request.response || {}); });
    request.addEventListener("error", function () { item.answered(0, {}); });
    this.progress.value = 0;
    this.show("uploading", "Uploading\u2026 0%");
    if (this.attempt === 0) { say("Uploading " + this.slot.label + ": " + this.file.name); }
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
      this.show("uploaded", "Uploaded");
      say(this.slot.label + ": " + this.file.name + " uploaded.");
      pump();
      finishIfWaiting();
      return;
    }
    var retry = status === 0 || answer.retry === true || status >= 500;
    var message = answer.error || (status === 0
      ? "The connection was lost while uploading this photo."
      : "This photo could not be uploaded.");
    if (retry && this.attempt < RETRY_DELAYS.length) {
      var item = this;
      var delay = RETRY_DELAYS[this.attempt++];
      this.show("waiting", message + " Trying again in " + delay / 1000 + " s\u2026");
      this.timer = window.setTimeout(function () { item.queue(); }, delay);
      pump();
      return;
    }
    this.show(retry ? "failed" : "refused", retry
      ? message + " Please try again, or remove it."
      : message);
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
    say(this.file.name + " removed.");
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
          item.refuse("The clinic takes at most " + config.maxPhotos +
            " photos. Remove one to add \u201c" + file.name + "\u201d.");
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
    waitNote.textContent = left
      ? "Your request will be sent as soon as " + left + " more photo" + (left === 1 ? " has" : "s have") + " uploaded\u2026"
      : "";
  }

  function finishIfWaiting() {
    if (!form.dataset.waitingForPhotos || busy().length || forgetting) { return; }
    delete form.dataset.waitingForPhotos;
    var failed = items.filter(function (item) { return item.state === "failed"; });
    if (failed.length) {
      waitNote.textContent = failed.length + " photo" + (failed.length === 1 ? "" : "s") +
        " could not be uploaded. Please try again or remove " + (failed.length === 1 ? "it" : "them") +
        ", then send.";
      failed[0].retryButton.focus();
      return;
    }
    waitNote.textContent = "Sending\u2026";
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
