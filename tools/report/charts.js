// hostwire charts: draws every <div class="chart" data-chart="{json}"> with dygraphs, then marks
// it data-ink="N" (pixels drawn) so a headless browser can tell a drawn plot from a blank one.
(function () {
  'use strict';
  function ink(div) {
    var n = 0;
    div.querySelectorAll('canvas').forEach(function (c) {
      if (!c.width || !c.height) return;
      var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (var i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
    });
    return n;
  }
  function draw(div) {
    var spec = JSON.parse(div.getAttribute('data-chart'));
    var legend = document.createElement('div');
    legend.className = 'chart-legend';
    div.parentNode.insertBefore(legend, div.nextSibling);
    var opts = {
      labels: spec.labels, title: spec.title, xlabel: spec.xlabel, ylabel: spec.ylabel,
      legend: 'always', labelsDiv: legend, labelsSeparateLines: false,
      connectSeparatedPoints: !!spec.connect, drawPoints: !!spec.points, pointSize: 3,
      strokeWidth: 1.5, xRangePad: spec.points ? 16 : 0, includeZero: !spec.logy && !spec.nozero,
      axes: {x: {logscale: !!spec.logx}, y: {logscale: !!spec.logy}}
    };
    if (spec.xticks) {
      var names = spec.xticks;
      opts.axes.x.ticker = function (min, max) {
        var t = [];
        for (var i = 0; i < names.length; i++) if (i >= min && i <= max) t.push({v: i, label: names[i]});
        return t;
      };
      opts.axes.x.valueFormatter = function (v) { return names[v] !== undefined ? names[v] : ''; };
    }
    var g = new Dygraph(div, spec.data, opts);
    div.setAttribute('data-ink', String(ink(div)));
    return g;
  }
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('div.chart[data-chart]').forEach(draw);
  });
})();
