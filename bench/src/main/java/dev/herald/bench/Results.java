package dev.herald.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One scenario's figures, printed as {@code RESULT scenario=NAME key=value …} and appended
 * (with the command, machine and date) to a results file: the tracked
 * {@code bench-results/results.txt} (which {@code report} turns into docs/benchmarks.md) only
 * with {@code --record}, else the untracked {@code bench-results/tmp/adhoc.txt}.
 */
final class Results {
  static final Path RECORDED = Path.of("bench-results", "results.txt");
  static final Path AD_HOC = Path.of("bench-results", "tmp", "adhoc.txt");
  static Path file = AD_HOC;

  private final Map<String, String> values = new LinkedHashMap<>();

  Results(String scenario) {
    values.put("scenario", scenario);
  }

  Results put(String key, Object value) {
    String v = value instanceof Double d ? String.format(Locale.ROOT, "%.2f", d) : String.valueOf(value);
    values.put(key, v.replace(' ', '_'));
    return this;
  }

  void emit(String command) throws IOException {
    StringBuilder line = new StringBuilder("RESULT");
    values.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
    System.out.println(line);
    Files.createDirectories(file.getParent());
    String record = line + " | command=" + command.replace('|', '/') + " | machine=" + machine()
        + " | date=" + LocalDate.now() + System.lineSeparator();
    Files.writeString(file, record, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    System.out.println("(appended to " + file + (file.equals(RECORDED) ? ""
        : "; --record appends to " + RECORDED + ", the file behind docs/benchmarks.md") + ")");
  }

  static String machine() {
    String cpu = "unknown-cpu";
    try {
      for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (l.startsWith("model name")) {
          cpu = l.substring(l.indexOf(':') + 1).strip();
          break;
        }
      }
    } catch (IOException ignored) {
      // not Linux
    }
    long mem = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getTotalMemorySize() >> 30;
    return Runtime.getRuntime().availableProcessors() + " cores, " + mem + " GiB, " + cpu + ", Java "
        + Runtime.version().feature();
  }

  /** CPU seconds this (client) process has used. */
  static double clientCpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime() / 1e9;
  }
}
