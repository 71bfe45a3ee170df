package dev.herald.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** PNG plots for docs/benchmarks.md, drawn from the fan-out results. */
final class Plots {
  private Plots() {}

  /**
   * Delivered messages/s against subscriber count (Herald and the baseline, mean of the runs at
   * each count). Returns false when there is nothing to plot.
   */
  static boolean throughput(List<Map<String, String>> fanouts, Path png) throws IOException {
    TreeMap<Integer, double[]> sums = new TreeMap<>(); // subscribers → {herald sum, n, base sum, n}
    for (Map<String, String> r : fanouts) {
      int n = Integer.parseInt(r.get("subscribers"));
      double[] s = sums.computeIfAbsent(n, k -> new double[4]);
      s[0] += Double.parseDouble(r.get("delivered_per_s"));
      s[1]++;
      if (r.containsKey("baseline_delivered_per_s")) {
        s[2] += Double.parseDouble(r.get("baseline_delivered_per_s"));
        s[3]++;
      }
    }
    if (sums.isEmpty()) {
      return false;
    }
    XYChart chart = new XYChartBuilder().width(720).height(420)
        .title("Fan-out burst: delivered messages/s (2 cores, client and server together)")
        .xAxisTitle("subscribers").yAxisTitle("messages/s").build();
    List<Double> xs = new ArrayList<>();
    List<Double> herald = new ArrayList<>();
    List<Double> bx = new ArrayList<>();
    List<Double> base = new ArrayList<>();
    sums.forEach((n, s) -> {
      xs.add((double) n);
      herald.add(s[0] / s[1]);
      if (s[3] > 0) {
        bx.add((double) n);
        base.add(s[2] / s[3]);
      }
    });
    chart.addSeries("Herald", xs, herald);
    if (!base.isEmpty()) {
      chart.addSeries("raw baseline", bx, base);
    }
    Files.createDirectories(png.getParent());
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    return true;
  }

  /** Paced-phase latency percentiles of the newest run at each subscriber count. */
  static boolean latency(List<Map<String, String>> fanouts, Path png) throws IOException {
    TreeMap<Integer, Map<String, String>> newest = new TreeMap<>();
    for (Map<String, String> r : fanouts) {
      newest.put(Integer.parseInt(r.get("subscribers")), r);
    }
    if (newest.isEmpty()) {
      return false;
    }
    CategoryChart chart = new CategoryChartBuilder().width(720).height(420)
        .title("Write-to-receive latency, paced phase (ms)").xAxisTitle("subscribers")
        .yAxisTitle("ms").build();
    List<String> xs = new ArrayList<>();
    List<Double> p50 = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    List<Double> p999 = new ArrayList<>();
    List<Double> b99 = new ArrayList<>();
    newest.forEach((n, r) -> {
      xs.add(Integer.toString(n));
      p50.add(num(r, "paced_p50_ms"));
      p99.add(num(r, "paced_p99_ms"));
      p999.add(num(r, "paced_p999_ms"));
      b99.add(num(r, "baseline_paced_p99_ms"));
    });
    chart.addSeries("Herald p50", xs, p50);
    chart.addSeries("Herald p99", xs, p99);
    chart.addSeries("Herald p99.9", xs, p999);
    chart.addSeries("baseline p99", xs, b99);
    Files.createDirectories(png.getParent());
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    return true;
  }

  private static double num(Map<String, String> r, String k) {
    String v = r.get(k);
    return v == null || v.equals("NaN") ? 0 : Double.parseDouble(v);
  }
}
