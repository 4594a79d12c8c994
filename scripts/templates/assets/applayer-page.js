/*
 * Lesson pages (build/lessons/*.html). Two things, both optional extras:
 *  - each chart is drawn again, live, from its Vega-Lite spec with vega-embed:
 *    tooltips, and crisp at any zoom. The SVG the kernel drew is shown until then
 *    and stays if scripts or vega cannot run, so a chart is never an empty box;
 *  - each step-through exchange gets back / next / all buttons and shows one
 *    message more per click.
 * vega's browser bundles are UMD modules. nbconvert's page loads require.js, so
 * they must be loaded through require.js (paths below), not with <script> tags,
 * or they define anonymous modules and require.js throws (vega-embed#8).
 */
(function () {
  "use strict";

  function button(label) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    return b;
  }

  function stepThrough(box) {
    var steps = box.querySelectorAll("g.step");
    if (!steps.length) return;
    var shown = 1;
    var back = button("\u25c0 back");
    var next = button("next \u25b6");
    var all = button("all");
    var count = document.createElement("span");
    var bar = document.createElement("div");
    bar.className = "applayer-steps-controls";
    bar.append(back, next, all, count);
    box.appendChild(bar);
    function draw() {
      steps.forEach(function (g, i) {
        g.style.visibility = i < shown ? "visible" : "hidden";
      });
      count.textContent = "message " + shown + " of " + steps.length;
      back.disabled = shown <= 1;
      next.disabled = shown >= steps.length;
      box.setAttribute("data-shown", String(shown));
    }
    back.onclick = function () { shown = Math.max(1, shown - 1); draw(); };
    next.onclick = function () { shown = Math.min(steps.length, shown + 1); draw(); };
    all.onclick = function () { shown = steps.length; draw(); };
    draw();
  }

  function drawLive(embed, box) {
    var json = box.querySelector("script.applayer-vegalite");
    if (!json) return;
    var spec = JSON.parse(json.textContent);
    // The spec names the v5 schema (the MIME type front ends know); these are vega-lite 6's bundles.
    delete spec.$schema;
    var meta = spec.usermeta || {};
    if (meta.tooltip !== false) {
      var config = spec.config || {};
      spec.config = Object.assign({}, config, { mark: Object.assign({ tooltip: true }, config.mark) });
    }
    var still = box.querySelector(":scope > svg");
    var live = document.createElement("div");
    live.className = "applayer-live";
    live.hidden = true;
    box.insertBefore(live, json);
    embed(live, spec, { renderer: "svg", actions: false }).then(function () {
      live.hidden = false;
      if (still) {
        keepAlternative(still, live.querySelector("svg"));
        still.remove();
      }
      box.classList.add("applayer-chart-live");
    }, function (e) {
      live.remove();
      console.warn("chart kept as the kernel drew it:", e);
    });
  }

  /*
   * The kernel's SVG carries the chart's text alternative (role="img", <title>,
   * <desc> with a summary of the data): the live drawing takes it over, and its
   * own ARIA on the root (Vega's "graphics-document") gives way to it.
   */
  function keepAlternative(still, svg) {
    if (!svg) return;
    ["role", "aria-label", "aria-roledescription", "aria-labelledby", "aria-describedby"].forEach(function (a) {
      if (still.hasAttribute(a)) svg.setAttribute(a, still.getAttribute(a));
      else svg.removeAttribute(a);
    });
    svg.prepend.apply(svg, Array.prototype.slice.call(still.querySelectorAll(":scope > title, :scope > desc")));
  }

  document.querySelectorAll(".applayer-steps").forEach(stepThrough);

  var charts = document.querySelectorAll(".applayer-chart");
  if (!charts.length || typeof window.require !== "function") return;
  window.require.config({
    paths: { vega: "assets/vega.min", "vega-lite": "assets/vega-lite.min", "vega-embed": "assets/vega-embed.min" },
  });
  window.require(["vega-embed"], function (embed) {
    charts.forEach(function (box) { drawLive(embed, box); });
  });
})();
