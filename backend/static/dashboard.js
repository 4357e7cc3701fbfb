// The project dashboard's charts: data from the scoped admin API, drawn by the vendored Chart.js.
(function () {
  "use strict";
  var holder = document.getElementById("dashboard-data");
  if (!holder || typeof window.Chart === "undefined") { return; }
  var font = { family: "'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif" };
  window.Chart.defaults.font.family = font.family;

  function draw(id, type, series, label, color) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new window.Chart(canvas, {
      type: type,
      data: {
        labels: series.labels,
        datasets: [{ label: label, data: series.values, backgroundColor: color, borderColor: color }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
    canvas.setAttribute("data-ready", "1");
  }

  fetch(holder.getAttribute("data-charts-url"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("charts " + response.status); }
      return response.json();
    })
    .then(function (data) {
      draw("chart-hours-per-day", "bar", data.hours_per_day, "课时", "#2563eb");
      draw("chart-trainees-by-hours", "bar", data.trainees_by_hours, "学员人数", "#16a34a");
      document.body.setAttribute("data-charts", "ready");
    })
    .catch(function () {
      document.body.setAttribute("data-charts", "failed");
      document.querySelectorAll(".chart-box").forEach(function (box) {
        box.textContent = "图表数据加载失败，请刷新页面重试";
      });
    });
})();
