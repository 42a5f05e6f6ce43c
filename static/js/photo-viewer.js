// The surgeons' photo viewer: full screen inside the portal, zoom and pan,
// keyboard and swipe, two photos side by side moving together. Photos come
// only from the links' own URLs (the permission-checked rendition view);
// without this script those links simply open each rendition.
(function () {
  "use strict";
  var dialog = document.querySelector("dialog[data-photo-viewer]");
  var links = Array.prototype.slice.call(document.querySelectorAll("a[data-viewer-src]"));
  if (!dialog || !links.length || typeof dialog.showModal !== "function") return;

  var MAX_SCALE = 8;
  var SWIPE = 50;
  var stage = dialog.querySelector("[data-viewer-stage]");
  var panes = Array.prototype.slice.call(dialog.querySelectorAll(".viewer__pane"));
  var title = dialog.querySelector(".viewer__title");
  var pairButton = dialog.querySelector('[data-viewer="pair"]');
  // One view for both panes: that is what keeps them in step.
  var view = { scale: 1, x: 0, y: 0 };
  var shown = [0, 1];
  var paired = false;

  function photo(index) {
    var link = links[(index + links.length) % links.length];
    return { src: link.getAttribute("data-viewer-src"), label: link.getAttribute("data-viewer-label") };
  }

  function apply() {
    var transform = "translate(" + view.x + "px, " + view.y + "px) scale(" + view.scale + ")";
    panes.forEach(function (pane) { pane.querySelector("img").style.transform = transform; });
  }

  function reset() {
    view.scale = 1; view.x = 0; view.y = 0;
    apply();
  }

  function render() {
    var count = paired ? 2 : 1;
    var labels = [];
    panes.forEach(function (pane, i) {
      pane.hidden = i >= count;
      if (pane.hidden) return;
      var p = photo(shown[i]);
      var img = pane.querySelector("img");
      if (img.getAttribute("src") !== p.src) img.setAttribute("src", p.src);
      img.alt = p.label;
      pane.querySelector("figcaption").textContent = p.label;
      labels.push(p.label);
    });
    stage.classList.toggle("viewer__stage--pair", paired);
    pairButton.setAttribute("aria-pressed", String(paired));
    title.textContent = labels.join(" and ");
  }

  function step(by) {
    // Side by side, the left photo stays and the right one changes.
    var i = paired ? 1 : 0;
    shown[i] = (shown[i] + by + links.length) % links.length;
    if (paired && shown[1] === shown[0] && links.length > 1) shown[1] = (shown[1] + by + links.length) % links.length;
    reset();
    render();
  }

  function zoom(factor, cx, cy) {
    var next = Math.min(MAX_SCALE, Math.max(1, view.scale * factor));
    // Zoom about the point under the pointer (or the centre): it stays put.
    var ratio = next / view.scale;
    view.x = cx - (cx - view.x) * ratio;
    view.y = cy - (cy - view.y) * ratio;
    view.scale = next;
    if (next === 1) { view.x = 0; view.y = 0; }
    apply();
  }

  function open(index, pair) {
    shown = [index, (index + 1) % links.length];
    paired = Boolean(pair) && links.length > 1;
    reset();
    render();
    dialog.showModal();
  }

  links.forEach(function (link, index) {
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey) return; // a new tab, as asked
      event.preventDefault();
      open(index, link.hasAttribute("data-viewer-pair"));
    });
  });

  dialog.addEventListener("click", function (event) {
    var button = event.target.closest("[data-viewer]");
    if (!button) return;
    var action = button.getAttribute("data-viewer");
    if (action === "close") dialog.close();
    else if (action === "prev") step(-1);
    else if (action === "next") step(1);
    else if (action === "zoom-in") zoom(1.5, 0, 0);
    else if (action === "zoom-out") zoom(1 / 1.5, 0, 0);
    else if (action === "fit") reset();
    else if (action === "pair") { paired = !paired && links.length > 1; reset(); render(); }
  });

  dialog.addEventListener("keydown", function (event) {
    var keys = {
      ArrowLeft: function () { step(-1); },
      ArrowRight: function () { step(1); },
      "+": function () { zoom(1.5, 0, 0); },
      "=": function () { zoom(1.5, 0, 0); },
      "-": function () { zoom(1 / 1.5, 0, 0); },
      "0": reset,
    };
    if (keys[event.key]) { event.preventDefault(); keys[event.key](); }
  });

  // Pointer position relative to the centre of the pane it is over: the origin of the transform.
  function local(event) {
    var pane = event.target.closest(".viewer__frame") || panes[0].querySelector(".viewer__frame");
    var box = pane.getBoundingClientRect();
    return { x: event.clientX - box.left - box.width / 2, y: event.clientY - box.top - box.height / 2 };
  }

  stage.addEventListener("wheel", function (event) {
    event.preventDefault();
    var at = local(event);
    zoom(Math.exp(-event.deltaY * 0.002), at.x, at.y);
  }, { passive: false });

  var pointers = new Map();
  var gesture = null;

  function distance() {
    var p = Array.from(pointers.values());
    return Math.hypot(p[0].clientX - p[1].clientX, p[0].clientY - p[1].clientY);
  }

  stage.addEventListener("pointerdown", function (event) {
    stage.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, event);
    if (pointers.size === 2) {
      gesture = { pinch: distance(), scale: view.scale, moved: true };
    } else {
      gesture = { startX: event.clientX, startY: event.clientY, x: view.x, y: view.y, moved: false };
    }
  });

  stage.addEventListener("pointermove", function (event) {
    if (!pointers.has(event.pointerId) || !gesture) return;
    pointers.set(event.pointerId, event);
    if (gesture.pinch && pointers.size === 2) {
      zoom((gesture.scale * distance() / gesture.pinch) / view.scale, 0, 0);
    } else if (view.scale > 1 && !gesture.pinch) {
      view.x = gesture.x + event.clientX - gesture.startX;
      view.y = gesture.y + event.clientY - gesture.startY;
      gesture.moved = true;
      apply();
    }
  });

  function release(event) {
    if (!pointers.has(event.pointerId)) return;
    pointers.delete(event.pointerId);
    if (gesture && !gesture.moved && !gesture.pinch && view.scale === 1) {
      var dx = event.clientX - gesture.startX;
      if (Math.abs(dx) > SWIPE && Math.abs(dx) > Math.abs(event.clientY - gesture.startY)) step(dx < 0 ? 1 : -1);
    }
    if (!pointers.size) gesture = null;
  }
  stage.addEventListener("pointerup", release);
  stage.addEventListener("pointercancel", release);

  dialog.addEventListener("close", function () {
    panes.forEach(function (pane) { pane.querySelector("img").removeAttribute("src"); });
  });
})();
