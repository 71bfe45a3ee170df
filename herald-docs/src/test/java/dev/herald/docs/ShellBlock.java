package dev.herald.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.client.HeraldClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a bash block of the documentation, line by line, in a fresh directory, with {@code herald}
 * and {@code herald-bench} on the PATH (the classes under test). What it changes, and why:
 *
 * <ul>
 *   <li>the key placeholder becomes the test server's key, and port 8082 its port (other ports
 *       of the page get free ones), so nothing depends on a port being free;
 *   <li>{@code herald serve} runs in the background until the block ends (it waits for its
 *       banner); {@code herald listen} runs until a change made for it arrives, then gets the
 *       Ctrl-C the page mentions and must print its last seq;
 *   <li>{@code herald-bench} lines are parsed ({@code --help}), not run: benchmarks are not tests;
 *   <li>{@code ./mvnw test} is what CI runs: the line is checked against {@code .ci/run}.
 * </ul>
 * Every other line runs as written and must succeed.
 */
final class ShellBlock {
  private static final Pattern PORT = Pattern.compile("(localhost:|127\\.0\\.0\\.1:|--port[ =])(\\d{2,5})");
  private static final AtomicInteger PROBES = new AtomicInteger();

  private final DocServer server;
  private final CodeBlock block;
  private final Path dir;
  private final Path root;
  private final Map<String, String> env = new HashMap<>();
  private final Map<Integer, Integer> ports = new HashMap<>();
  private final List<Process> background = new ArrayList<>();

  ShellBlock(DocServer server, CodeBlock block, Path dir, Path root) throws IOException {
    this.server = server;
    this.block = block;
    this.dir = dir;
    this.root = root;
    System.getenv().forEach((k, v) -> {
      if (!k.startsWith("HERALD_")) {
        env.put(k, v);
      }
    });
    Path bin = Files.createDirectories(dir.resolve(".bin"));
    String java = ProcessHandle.current().info().command().orElse("java");
    String cp = System.getProperty("java.class.path");
    launcher(bin.resolve("herald"), java, cp, "dev.herald.cli.Herald");
    launcher(bin.resolve("herald-bench"), java, cp, "dev.herald.bench.Bench");
    env.put("PATH", bin + ":" + System.getenv("PATH"));
    env.put("HOME", dir.toString());
    ports.put(8082, server.port());
  }

  private static void launcher(Path p, String java, String cp, String main) throws IOException {
    Files.writeString(p, "#!/usr/bin/env bash\nexec '" + java + "' -cp '" + cp + "' " + main + " \"$@\"\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  void run() throws Exception {
    try {
      int n = block.line();
      StringBuilder logical = new StringBuilder();
      int startLine = n;
      for (String raw : block.text().split("\n", -1)) {
        n++;
        if (logical.isEmpty()) {
          startLine = n;
        }
        if (raw.endsWith("\\")) {
          logical.append(raw, 0, raw.length() - 1).append(' ');
          continue;
        }
        logical.append(raw);
        String line = logical.toString().strip();
        logical.setLength(0);
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        try {
          step(line);
        } catch (AssertionError e) {
          throw new AssertionError(block.file().getFileName() + ":" + startLine + ": " + line + "\n" + e.getMessage(), e);
        }
      }
    } finally {
      for (Process p : background) {
        p.destroy();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private void step(String written) throws Exception {
    String line = substitute(written);
    String cmd = line.replaceFirst("^\\./herald-bench\\b", "herald-bench").replaceFirst("^\\./herald\\b", "herald");
    if (cmd.startsWith("./mvnw test")) {
      assertThat(Files.readString(root.resolve(".ci/run"))).as("CI runs the README's test command")
          .contains("./mvnw -B -ntp test");
    } else if (cmd.startsWith("export ")) {
      exportVars(cmd);
    } else if (cmd.matches("^herald serve\\b.*")) {
      serve(cmd);
    } else if (cmd.matches("^herald listen\\b.*")) {
      listen(cmd);
    } else if (cmd.startsWith("herald-bench ")) {
      String c = cmd.replaceAll("\\s+#.*$", "");
      Result r = bash(c + " --help", 60);
      assertThat(r.exit).as("%s --help: the command line parses%n%s", c, r.err).isZero();
      Matcher duration = Pattern.compile("about (a|an|\\d+) (second|minute|hour)s?").matcher(cmd);
      if (duration.find()) {
        assertThat(r.out.replaceAll("\\s+", " ")).as("the page and %s --help agree on its duration", c)
            .contains(duration.group());
      }
    } else {
      Result r = bash(cmd, 120);
      assertThat(r.exit).as("exit code; stdout:%n%s%nstderr:%n%s", r.out, r.err).isZero();
    }
  }

  /** The key placeholder and the page's ports. */
  private String substitute(String line) throws IOException {
    String l = line.replace("<the printed key>", DocServer.API_KEY);
    Matcher m = PORT.matcher(l);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      int page = Integer.parseInt(m.group(2));
      Integer real = ports.get(page);
      if (real == null) {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
          real = s.getLocalPort();
        }
        ports.put(page, real);
      }
      m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + real));
    }
    m.appendTail(out);
    return out.toString();
  }

  private void exportVars(String cmd) throws Exception {
    Result r = bash(cmd + " >/dev/null && env -0", 30);
    assertThat(r.exit).as(r.err).isZero();
    for (String kv : r.out.split("\0")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        env.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
  }

  /** In the background until the block ends; a serve without --port gets a free one. */
  private void serve(String cmd) throws Exception {
    String c = cmd.replaceAll("\\s*&\\s*$", "").replaceAll("\\s+#.*$", "");
    Map<String, String> extra = new HashMap<>();
    if (!c.contains("--port")) {
      try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
        extra.put("HERALD_PORT", Integer.toString(s.getLocalPort()));
      }
    }
    Process p = start(c, extra);
    background.add(p);
    BlockingQueue<String> out = lines(p.getInputStream());
    BlockingQueue<String> err = lines(p.getErrorStream());
    await(out, "Herald is serving", err);
  }

  /** Until a change made for it arrives; then Ctrl-C, which must print the last seq. */
  private void listen(String cmd) throws Exception {
    String c = cmd.replaceAll("\\s+#.*$", "");
    Process p = start(c, Map.of());
    try {
      BlockingQueue<String> out = lines(p.getInputStream());
      BlockingQueue<String> err = lines(p.getErrorStream());
      await(err, "listening to", err);
      String href = probe(c);
      await(out, href, err);
      // Ctrl-C, or the TERM of a service manager where SIGINT is ignored (CliTest says why)
      String signal = sigintIgnored() ? "-TERM" : "-INT";
      new ProcessBuilder("kill", signal, Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("ended by kill %s", signal).isTrue();
      await(err, "stopped; last seq", err);
    } finally {
      p.destroy();
    }
  }

  /** Whether this process ignores SIGINT (its children inherit that): bit 1 of the SigIgn mask of Linux's /proc/self/status. */
  static boolean sigintIgnored() throws java.io.IOException {
    java.nio.file.Path s = java.nio.file.Path.of("/proc/self/status");
    var m = java.util.regex.Pattern.compile("SigIgn:\\s*([0-9a-f]+)").matcher(java.nio.file.Files.exists(s) ? java.nio.file.Files.readString(s) : "");
    return m.find() && (Long.parseUnsignedLong(m.group(1), 16) & 2) != 0;
  }

  /** Creates a host with the listen line's connection settings; returns its href. */
  private String probe(String listenCmd) throws Exception {
    List<String> words = words(listenCmd);
    HeraldClient.Builder b = HeraldClient.builder();
    String url = env.getOrDefault("HERALD_URL", "http://localhost:8082");
    String key = env.get("HERALD_API_KEY");
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      String next = i + 1 < words.size() ? words.get(i + 1) : null;
      switch (w) {
        case "--url" -> url = next;
        case "--api-key" -> key = next;
        case "--cacert" -> b.trustCertificates(dir.resolve(next));
        case "--insecure", "-k" -> b.insecure();
        default -> { }
      }
    }
    try (HeraldClient c = b.url(url).apiKey(key).build()) { // the line was substituted already
      int n = PROBES.incrementAndGet();
      return c.create("host", dev.herald.protocol.Json.object().put("name", "docs-probe-" + n)
          .put("address", "10.255.0." + (n % 250 + 1))).href();
    }
  }

  private List<String> words(String cmd) throws Exception {
    Result r = bash("printf '%s\\0' " + cmd.replaceFirst("^herald ", ""), 10);
    List<String> out = new ArrayList<>();
    for (String w : r.out.split("\0")) {
      out.add(w);
    }
    return out;
  }

  private record Result(int exit, String out, String err) {}

  private Process start(String cmd, Map<String, String> extra) throws IOException {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", "exec " + cmd).directory(dir.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.environment().putAll(extra);
    return pb.start();
  }

  private Result bash(String cmd, int seconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -eo pipefail\n" + cmd).directory(dir.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    BlockingQueue<String> out = lines(p.getInputStream());
    BlockingQueue<String> err = lines(p.getErrorStream());
    boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    assertThat(done).as("finished within %d s", seconds).isTrue();
    return new Result(p.exitValue(), String.join("\n", drain(out)), String.join("\n", drain(err)));
  }

  /**
   * The lines until the stream's end (its reader adds EOF once the process closed it), waiting
   * at most 10 s for it: a child the command left running may keep the stream open.
   */
  private static List<String> drain(BlockingQueue<String> q) throws InterruptedException {
    List<String> out = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String l;
    while ((l = q.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null && !l.equals(EOF)) {
      out.add(l);
    }
    return out;
  }

  private static final String EOF = "\u0000EOF";

  private static BlockingQueue<String> lines(InputStream in) {
    BlockingQueue<String> q = new LinkedBlockingQueue<>();
    Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          q.add(l);
        }
      } catch (IOException ignored) {
        // the process ended
      }
      q.add(EOF);
    });
    return q;
  }

  private static void await(BlockingQueue<String> q, String part, BlockingQueue<String> err)
      throws InterruptedException {
    StringBuilder seen = new StringBuilder();
    while (true) {
      String l = q.poll(60, TimeUnit.SECONDS);
      if (l == null || l.equals(EOF)) {
        List<String> e = new ArrayList<>();
        err.drainTo(e);
        throw new AssertionError("no line with '" + part + "'; saw:\n" + seen + "stderr:\n" + String.join("\n", e));
      }
      seen.append(l).append('\n');
      if (l.contains(part)) {
        return;
      }
    }
  }
}
