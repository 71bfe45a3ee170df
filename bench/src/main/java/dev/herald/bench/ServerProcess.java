package dev.herald.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A server under test in a child JVM, with its CPU time and memory read from /proc. */
final class ServerProcess implements AutoCloseable {
  final Process process;
  final int port;
  final String kind;

  private ServerProcess(Process process, int port, String kind) {
    this.process = process;
    this.port = port;
    this.kind = kind;
  }

  static ServerProcess start(String kind, Path dataDir, String heap) throws IOException {
    return start(kind, dataDir, heap, null);
  }

  /** A Herald node on a shared database when {@code jdbcUrl} is given. */
  static ServerProcess start(String kind, Path dataDir, String heap, String jdbcUrl) throws IOException {
    // A fixed, pre-touched heap: RSS then grows only with what lives outside the heap, so
    // RSS delta + live-heap delta is the memory a connection really costs.
    return start(kind, dataDir, List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch",
        "-XX:+UseParallelGC"), jdbcUrl);
  }

  /**
   * With these JVM options instead of the fixed heap (an empty list: the JVM's own defaults),
   * so that RSS is what a user of those options would see.
   */
  static ServerProcess start(String kind, Path dataDir, List<String> jvmOptions, String jdbcUrl)
      throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
    for (String o : jvmOptions) {
      if (o.startsWith("ENV:") && o.contains("=")) {
        // an environment variable of the server process (MALLOC_ARENA_MAX=2: what the launcher exports)
        env.put(o.substring(4, o.indexOf('=')), o.substring(o.indexOf('=') + 1));
      } else {
        cmd.add(o);
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ServerMain.class.getName(), kind,
        Integer.toString(port)));
    if (dataDir != null) {
      cmd.add(dataDir.toString());
    }
    if (jdbcUrl != null) {
      cmd.add(jdbcUrl);
    }
    String extra = System.getenv("HERALD_BENCH_SERVER_OPTS"); // e.g. -XX:StartFlightRecording=…
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(1, List.of(extra.strip().split("\\s+")));
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.equals("READY")) {
        break;
      }
    }
    if (line == null) {
      throw new IOException(kind + " server did not start");
    }
    Path log = Path.of("bench-results", "tmp", kind + "-server-" + port + ".log");
    Files.createDirectories(log.getParent());
    java.io.BufferedWriter logOut = Files.newBufferedWriter(log);
    Thread.ofVirtual().start(() -> {
      // drain the child's output (so it never blocks on a full pipe) into a log file
      try (logOut) {
        String l;
        while ((l = out.readLine()) != null) {
          logOut.write(l);
          logOut.newLine();
          logOut.flush();
        }
      } catch (IOException ignored) {
        // closed
      }
    });
    return new ServerProcess(p, port, kind);
  }

  /**
   * JVM options as `jvm --candidate` and `logins --jvm` take them: "default" (none: the JVM's own),
   * "launcher" (the launchers' conf/jvm.options and the MALLOC_ARENA_MAX=2 they export), or
   * options separated by blanks ({@code ENV:NAME=VALUE} sets an environment variable).
   */
  static List<String> jvmOptions(String spec) throws IOException {
    if (spec.equals("default")) {
      return List.of();
    }
    if (!spec.equals("launcher")) {
      return List.of(spec.strip().split("\\s+"));
    }
    List<String> out = new ArrayList<>(List.of("ENV:MALLOC_ARENA_MAX=2"));
    for (String line : Files.readAllLines(Path.of("herald-dist", "src", "dist", "conf", "jvm.options"))) {
      if (!line.isBlank() && !line.strip().startsWith("#")) {
        out.add(line.strip());
      }
    }
    return out;
  }

  /** Whether the process maps a file under {@code dir} (the JVM refuses a mismatched class-data archive silently). */
  boolean maps(Path dir) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(process.pid()), "maps")).contains(dir.toString());
    } catch (IOException e) {
      return false;
    }
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** CPU seconds used so far (user + system), from /proc/PID/stat. */
  double cpuSeconds() {
    return Proc.cpuSeconds(process.pid());
  }

  long rssBytes() {
    return Proc.rssBytes(process.pid());
  }

  /** Runs a full GC in the child (jcmd), so heap figures count live objects only. */
  void gc() throws IOException, InterruptedException {
    String jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd").toString();
    new ProcessBuilder(jcmd, Long.toString(process.pid()), "GC.run").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  /** Readers of /proc (Linux). */
  static final class Proc {
    private Proc() {}

    static double cpuSeconds(long pid) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
        return ticks / 100.0; // USER_HZ is 100 on Linux
      } catch (IOException e) {
        return Double.NaN;
      }
    }

    /** CPU seconds of a process and its children (PostgreSQL: the postmaster and its backends). */
    static double treeCpuSeconds(long pid) {
      double sum = cpuSeconds(pid);
      try (var dirs = Files.list(Path.of("/proc"))) {
        for (Path d : (Iterable<Path>) dirs::iterator) {
          String name = d.getFileName().toString();
          if (!name.chars().allMatch(Character::isDigit)) {
            continue;
          }
          try {
            String stat = Files.readString(d.resolve("stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (Long.parseLong(f[1]) == pid) { // ppid
              sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
            }
          } catch (IOException | RuntimeException e) {
            // the process ended meanwhile
          }
        }
      } catch (IOException e) {
        return Double.NaN;
      }
      return sum;
    }

    static long rssBytes(long pid) {
      try {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
          if (l.startsWith("VmRSS:")) {
            return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
          }
        }
      } catch (IOException e) {
        // not Linux
      }
      return -1;
    }
  }
}
