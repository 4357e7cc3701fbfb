// Bar charts drawn by the vendored ECharts. A chart box says what to draw in data attributes:
// data-labels / data-values (JSON) on the box, or data-series naming a key of the JSON that the
// page's [data-charts-url] holder serves. No data, or only zeros: the box says 暂无数据.
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") { return; }
  var FONT = "'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";
  var drawn = [];

  function empty(box) {
    box.textContent = "暂无数据";
    box.classList.add("chart-empty");
    box.setAttribute("data-ready", "empty");
  }

  // Every bar labelled, the labels turned when they do not fit side by side (a phone, many
  // bars); past a month of days ECharts picks which to show.
  function axisLabel(box, labels) {
    if (labels.length > 31) { return { hideOverlap: true }; }
    var longest = labels.reduce(function (n, label) { return Math.max(n, String(label).length); }, 0);
    var perBar = (box.clientWidth - 80) / Math.max(labels.length, 1);
    return { interval: 0, rotate: perBar < longest * 8 ? 45 : 0 };
  }

  function draw(box, labels, values) {
    var hasData = values.some(function (v) { return v > 0; });
    if (!labels.length || !hasData) { empty(box); return; }
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT },
      // Rich-text tooltips: the HTML ones would carry inline styles, which the CSP refuses.
      tooltip: { trigger: "axis", renderMode: "richText" },
      grid: { left: 16, right: 48, top: 36, bottom: 16, containLabel: true },
      xAxis: {
        type: "category",
        data: labels,
        name: box.getAttribute("data-x-name") || "",
        nameLocation: "end",
        axisLabel: axisLabel(box, labels),
        axisTick: { alignWithLabel: true }
      },
      yAxis: { type: "value", name: box.getAttribute("data-y-name") || "", minInterval: 1 },
      series: [{
        type: "bar",
        data: values,
        itemStyle: { color: box.getAttribute("data-color") || "#2563eb" },
        barMaxWidth: 48
      }]
    });
    drawn.push({ chart: chart, box: box, labels: labels });
    box.setAttribute("data-ready", "1");
  }

  function parse(box, name) {
    try { return JSON.parse(box.getAttribute(name) || "[]"); } catch (e) { return []; }
  }

  function done(state) { document.body.setAttribute("data-charts", state); }

  document.querySelectorAll(".chart-box[data-values]").forEach(function (box) {
    draw(box, parse(box, "data-labels"), parse(box, "data-values"));
  });

  var holder = document.querySelector("[data-charts-url]");
  if (!holder) {
    done("ready");
  } else {
    fetch(holder.getAttribute("data-charts-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("charts " + response.status); }
        return response.json();
      })
      .then(function (data) {
        document.querySelectorAll(".chart-box[data-series]").forEach(function (box) {
          var series = data[box.getAttribute("data-series")] || { labels: [], values: [] };
          draw(box, series.labels, series.values);
        });
        done("ready");
      })
      .catch(function () {
        done("failed");
        document.querySelectorAll(".chart-box[data-series]").forEach(function (box) {
          box.textContent = "图表数据加载失败，请刷新页面重试";
        });
      });
  }

  window.addEventListener("resize", function () {
    drawn.forEach(function (item) {
      item.chart.setOption({ xAxis: { axisLabel: axisLabel(item.box, item.labels) } });
      item.chart.resize();
    });
  });
})();
